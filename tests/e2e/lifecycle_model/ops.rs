//! The steps a case is made of, and how proptest draws them.

use super::*;

#[derive(Debug, Clone)]
pub(super) enum Op {
    Login {
        s: usize,
        user: usize,
        right_password: bool,
        remember: bool,
    },
    MakeCodes {
        s: usize,
    },
    RecoveryCode {
        s: usize,
        pick: usize,
    },
    BumpEpoch {
        user: usize,
    },
    RemoveLast {
        s: usize,
    },
    Enrol {
        s: usize,
        valid_token: bool,
    },
    Approve {
        s: usize,
    },
    Deny {
        s: usize,
    },
    Forged {
        s: usize,
    },
    Stale {
        s: usize,
    },
    WrongUser {
        s: usize,
    },
    Replay,
    Status {
        s: usize,
    },
    Confirm {
        s: usize,
    },
    Token {
        s: usize,
        correct: bool,
    },
    Sms {
        s: usize,
    },
    Protected {
        s: usize,
    },
    Logout {
        s: usize,
    },
    Advance {
        secs: u32,
    },
}

pub(super) fn op() -> impl Strategy<Value = Op> {
    let s = 0..SESSIONS;
    prop_oneof![
        4 => (s.clone(), 0..2usize, prop::bool::weighted(0.7), prop::bool::weighted(0.6)).prop_map(|(s, user, right_password, remember)| Op::Login { s, user, right_password, remember }),
        3 => s.clone().prop_map(|s| Op::MakeCodes { s }),
        3 => (s.clone(), 0..64usize).prop_map(|(s, pick)| Op::RecoveryCode { s, pick }),
        1 => (0..2usize).prop_map(|user| Op::BumpEpoch { user }),
        1 => s.clone().prop_map(|s| Op::RemoveLast { s }),
        2 => (s.clone(), prop::bool::weighted(0.7)).prop_map(|(s, valid_token)| Op::Enrol { s, valid_token }),
        2 => s.clone().prop_map(|s| Op::Approve { s }),
        1 => s.clone().prop_map(|s| Op::Deny { s }),
        1 => s.clone().prop_map(|s| Op::Forged { s }),
        1 => s.clone().prop_map(|s| Op::Stale { s }),
        1 => s.clone().prop_map(|s| Op::WrongUser { s }),
        1 => Just(Op::Replay),
        2 => s.clone().prop_map(|s| Op::Status { s }),
        2 => s.clone().prop_map(|s| Op::Confirm { s }),
        3 => (s.clone(), prop::bool::weighted(0.3)).prop_map(|(s, correct)| Op::Token { s, correct }),
        1 => s.clone().prop_map(|s| Op::Sms { s }),
        2 => s.clone().prop_map(|s| Op::Protected { s }),
        1 => s.clone().prop_map(|s| Op::Logout { s }),
        1 => prop_oneof![Just(10u32), Just(31), Just(301), Just(901)].prop_map(|secs| Op::Advance { secs }),
    ]
}
