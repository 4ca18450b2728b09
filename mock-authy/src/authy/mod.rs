//! What Authy knows: users, their codes, approval requests, phone verifications, and the
//! per-number rate limits. A sibling of [`crate::verify`]'s Verify v2; [`crate::model`]'s
//! `World` composes both over what they share (the random numbers, the journal, the faults,
//! the callbacks delivered).

mod phones;
mod types;

pub use phones::{LineType, PhoneInfo, PhoneVerification, VerificationStatus};
pub(crate) use phones::{Sending, VERIFICATION_ATTEMPTS, VERIFICATION_TTL};
pub use types::{
    ApprovalRequest, ApprovalStatus, Channel, ControlError, OneTouchBehaviour, OutboxMessage, User,
};

use crate::otp::{self, TOTP_STEP};
use crate::rng::Rng;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

/// How long an SMS or voice code stays valid, in seconds.
pub(crate) const CODE_TTL: i64 = 600;

/// The outcome of a token check, before it is turned into HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VerifyOutcome {
    Valid,
    UnknownUser,
    Invalid,
    Reused,
}

/// Authy's side of the world.
#[derive(Debug)]
pub(crate) struct AuthyWorld {
    pub(crate) users: BTreeMap<u64, User>,
    phones: HashMap<(String, String), u64>,
    /// Approval requests in creation order.
    pub(crate) approvals: Vec<ApprovalRequest>,
    approval_index: HashMap<String, usize>,
    used_totp: HashSet<(u64, i64)>,
    pub(crate) default_onetouch: OneTouchBehaviour,
    next_user_id: u64,
    /// Phone verifications in the order they were started.
    pub(crate) verifications: Vec<PhoneVerification>,
    /// What `phones/info` says, by `cc/national`, where the control API set it.
    pub(crate) phone_info: HashMap<String, PhoneInfo>,
    /// When each number was sent something, per kind, within the limit's window.
    sends: HashMap<(Sending, String), VecDeque<i64>>,
}

impl AuthyWorld {
    /// An empty Authy; its first user id is drawn from `rng`.
    pub(crate) fn new(rng: &mut Rng, default_onetouch: OneTouchBehaviour) -> Self {
        AuthyWorld {
            users: BTreeMap::new(),
            phones: HashMap::new(),
            approvals: Vec::new(),
            approval_index: HashMap::new(),
            used_totp: HashSet::new(),
            default_onetouch,
            next_user_id: 1_000_000 + rng.next_u64() % 9_000_000,
            verifications: Vec::new(),
            phone_info: HashMap::new(),
            sends: HashMap::new(),
        }
    }

    /// Registers a user, or returns the id already given to this phone (adding the email).
    pub(crate) fn register(
        &mut self,
        rng: &mut Rng,
        email: &str,
        cellphone: &str,
        country_code: &str,
    ) -> u64 {
        let key = (country_code.to_owned(), cellphone.to_owned());
        if let Some(&id) = self.phones.get(&key) {
            let user = self
                .users
                .get_mut(&id)
                .expect("phone index points at a user");
            if !user.emails.iter().any(|e| e == email) {
                user.emails.push(email.to_owned());
            }
            return id;
        }
        let id = self.next_user_id;
        self.next_user_id += 1 + rng.next_u64() % 7;
        let secret = rng.bytes();
        self.users.insert(
            id,
            User {
                id,
                emails: vec![email.to_owned()],
                cellphone: cellphone.to_owned(),
                country_code: country_code.to_owned(),
                confirmed: false,
                onetouch: self.default_onetouch,
                outbox: Vec::new(),
                secret,
            },
        );
        self.phones.insert(key, id);
        id
    }

    pub(crate) fn remove_user(&mut self, id: u64) -> bool {
        match self.users.remove(&id) {
            Some(u) => {
                self.phones.remove(&(u.country_code, u.cellphone));
                true
            }
            None => false,
        }
    }

    /// Issues a fresh SMS or voice code.
    pub(crate) fn send_code(
        &mut self,
        rng: &mut Rng,
        id: u64,
        channel: Channel,
        now: i64,
        action: Option<String>,
        action_message: Option<String>,
    ) -> Option<&User> {
        let token = rng.digits(otp::TOKEN_DIGITS as usize);
        let user = self.users.get_mut(&id)?;
        user.outbox.push(OutboxMessage {
            channel,
            token,
            sent_at: now,
            action,
            action_message,
            used: false,
        });
        Some(user)
    }

    /// The user's current app (TOTP) token.
    pub(crate) fn app_token(&self, id: u64, now: i64) -> Option<String> {
        self.users
            .get(&id)
            .map(|u| otp::totp(&u.secret, now.div_euclid(TOTP_STEP)))
    }

    /// Checks a token. `force` false lets unconfirmed users through with any token, as Authy does.
    pub(crate) fn verify(
        &mut self,
        id: u64,
        token: &str,
        force: bool,
        action: Option<&str>,
        now: i64,
    ) -> VerifyOutcome {
        let Some(user) = self.users.get_mut(&id) else {
            return VerifyOutcome::UnknownUser;
        };
        if !force && !user.confirmed {
            return VerifyOutcome::Valid;
        }
        let step = now.div_euclid(TOTP_STEP);
        let mut reused = false;
        // App tokens (the Authy app's 7 digits, or a generic authenticator's 6 from the QR
        // code's secret): one step of skew either way, each step usable once.
        let digits = if token.len() == otp::GENERIC_DIGITS as usize {
            otp::GENERIC_DIGITS
        } else {
            otp::TOKEN_DIGITS
        };
        for s in step - 1..=step + 1 {
            if otp::totp_digits(&user.secret, s, digits) == token {
                if self.used_totp.insert((id, s)) {
                    user.confirmed = true;
                    return VerifyOutcome::Valid;
                }
                reused = true;
            }
        }
        for msg in user.outbox.iter_mut().rev() {
            if msg.token != token || now - msg.sent_at > CODE_TTL || msg.action.as_deref() != action
            {
                continue;
            }
            if msg.used {
                reused = true;
                continue;
            }
            msg.used = true;
            user.confirmed = true;
            return VerifyOutcome::Valid;
        }
        if reused {
            VerifyOutcome::Reused
        } else {
            VerifyOutcome::Invalid
        }
    }

    pub(crate) fn create_approval(&mut self, rng: &mut Rng, mut req: ApprovalRequest) -> String {
        req.uuid = rng.uuid();
        let uuid = req.uuid.clone();
        self.approval_index
            .insert(uuid.clone(), self.approvals.len());
        self.approvals.push(req);
        uuid
    }

    /// Marks overdue pending requests as expired.
    pub(crate) fn expire_overdue(&mut self, now: i64) {
        for a in self
            .approvals
            .iter_mut()
            .filter(|a| a.status == ApprovalStatus::Pending)
        {
            if let Some(at) = a.expires_at().filter(|&at| now >= at) {
                a.status = ApprovalStatus::Expired;
                a.processed_at = Some(at);
            }
        }
    }

    pub(crate) fn approval(&mut self, uuid: &str, now: i64) -> Option<&ApprovalRequest> {
        self.expire_overdue(now);
        self.approval_index.get(uuid).map(|&i| &self.approvals[i])
    }

    /// Moves a pending request to `to`, exactly once.
    pub(crate) fn transition(
        &mut self,
        uuid: &str,
        to: ApprovalStatus,
        now: i64,
    ) -> Result<ApprovalRequest, ControlError> {
        self.expire_overdue(now);
        let &i = self
            .approval_index
            .get(uuid)
            .ok_or(ControlError::UnknownApproval)?;
        let a = &mut self.approvals[i];
        if a.status != ApprovalStatus::Pending {
            return Err(ControlError::NotPending(a.status));
        }
        a.status = to;
        a.processed_at = Some(now);
        Ok(a.clone())
    }
}

/// Details of an approval request as a JSON object (null and absent become `{}`).
/// A hash parameter as given, or `null` when none was (as in Authy's recorded callbacks).
pub(crate) fn object_or_null(v: Option<&Value>) -> Value {
    match v {
        Some(Value::Object(m)) => Value::Object(m.clone()),
        _ => Value::Null,
    }
}
