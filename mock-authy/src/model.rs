//! What the simulated Authy knows: users, codes, approval requests, faults, the journal.
//!
//! Everything here is synchronous and lives behind one mutex; no lock is held across an await.

use crate::otp::{self, TOTP_STEP};
use crate::rng::Rng;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

/// How long an SMS or voice code stays valid, in seconds.
pub(crate) const CODE_TTL: i64 = 600;
/// Journal entries kept; older ones are dropped first.
const JOURNAL_CAP: usize = 10_000;

/// How a user's phone answers OneTouch approval requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case", tag = "mode")]
pub enum OneTouchBehaviour {
    /// Requests stay pending until approved or denied through the control API or phone page.
    #[default]
    Manual,
    /// The phone approves every request after `after_ms` milliseconds.
    AutoApprove {
        /// Delay before approving.
        #[serde(default)]
        after_ms: u64,
    },
    /// The phone denies every request after `after_ms` milliseconds.
    AutoDeny {
        /// Delay before denying.
        #[serde(default)]
        after_ms: u64,
    },
    /// The user has no Authy app: OneTouch requests fail and SMS is sent without `force`.
    NoDevice,
}

impl OneTouchBehaviour {
    pub(crate) fn has_device(self) -> bool {
        self != OneTouchBehaviour::NoDevice
    }
}

/// A registered Authy user, as the control API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct User {
    /// The authy_id.
    pub id: u64,
    /// Every email registered with this phone.
    pub emails: Vec<String>,
    /// Digits only.
    pub cellphone: String,
    /// Digits only.
    pub country_code: String,
    /// True once a token was verified with `force` or after first use.
    pub confirmed: bool,
    /// How the phone answers OneTouch requests.
    pub onetouch: OneTouchBehaviour,
    /// SMS and voice codes "sent" to this user, oldest first.
    pub outbox: Vec<OutboxMessage>,
    #[serde(skip)]
    pub(crate) secret: [u8; 20],
}

/// How a code reached the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Text message.
    Sms,
    /// Voice call.
    Call,
}

/// A code the mock "sent" by SMS or voice call.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OutboxMessage {
    /// SMS or call.
    pub channel: Channel,
    /// The code, a digit string.
    pub token: String,
    /// Unix seconds on the mock's clock.
    pub sent_at: i64,
    /// The `action` the code is bound to, if any.
    pub action: Option<String>,
    /// The custom `action_message`, if any.
    pub action_message: Option<String>,
    /// Whether the code has been verified (codes are single use).
    pub used: bool,
}

/// The life of an approval request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalStatus {
    /// Waiting for the user.
    Pending,
    /// The user tapped Approve.
    Approved,
    /// The user tapped Deny.
    Denied,
    /// Nobody answered in time.
    Expired,
}

impl ApprovalStatus {
    /// The wire name (`pending`, `approved`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalStatus::Pending => "pending",
            ApprovalStatus::Approved => "approved",
            ApprovalStatus::Denied => "denied",
            ApprovalStatus::Expired => "expired",
        }
    }
}

/// A OneTouch approval request.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApprovalRequest {
    /// Authy's id for the request.
    pub uuid: String,
    /// The user it was sent to.
    pub authy_id: u64,
    /// The text shown on the phone.
    pub message: String,
    /// Shown to the user.
    pub details: Value,
    /// Kept but not shown.
    pub hidden_details: Value,
    /// Logos, or null.
    pub logos: Value,
    /// 0 means never.
    pub seconds_to_expire: i64,
    /// Unix seconds.
    pub created_at: i64,
    /// Current status.
    pub status: ApprovalStatus,
    /// When the status left `pending`.
    pub processed_at: Option<i64>,
}

impl ApprovalRequest {
    /// Unix seconds at which it expires, if it ever does.
    pub fn expires_at(&self) -> Option<i64> {
        (self.seconds_to_expire > 0).then(|| self.created_at + self.seconds_to_expire)
    }
}

/// One request the mock received.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JournalEntry {
    /// Sequence number, from 1.
    pub seq: u64,
    /// Unix seconds on the mock's clock.
    pub at: i64,
    /// HTTP method.
    pub method: String,
    /// Path with duplicate slashes collapsed; no query string.
    pub path: String,
    /// The endpoint's name (see [`Endpoint`](crate::Endpoint)), or `unknown`.
    pub endpoint: String,
    /// The status code answered (0 when the connection was dropped).
    pub status: u16,
    /// The merged parameters, `api_key` removed.
    pub params: Value,
    /// The fault applied, if any.
    pub fault: Option<String>,
}

/// What a fault does to a matching request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum FaultKind {
    /// Answer with this status and an Authy error body.
    Status {
        /// HTTP status.
        status: u16,
        /// Authy `error_code`, a digit string.
        #[serde(default = "default_error_code")]
        error_code: String,
        /// Error message.
        #[serde(default = "default_error_message")]
        message: String,
    },
    /// Wait this long, then answer normally (or apply the next fault).
    Latency {
        /// Delay in milliseconds.
        ms: u64,
    },
    /// HTTP 200 with a body that is not JSON.
    MalformedJson,
    /// Headers, then part of a body, then the connection closes.
    TruncatedBody,
    /// Close the connection without answering.
    DropConnection,
}

fn default_error_code() -> String {
    "60000".into()
}
fn default_error_message() -> String {
    "An error occurred".into()
}

/// A fault to inject into matching requests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fault {
    /// An endpoint name, or `*` for every Authy endpoint.
    pub endpoint: String,
    /// What happens.
    #[serde(flatten)]
    pub kind: FaultKind,
    /// Apply to this many matching requests, then stop. `None` means no count limit.
    #[serde(default)]
    pub times: Option<u32>,
    /// Apply with this probability (seeded). `None` means always.
    #[serde(default)]
    pub probability: Option<f64>,
}

impl Fault {
    /// A fault on `endpoint` (a name or `*`) that applies to every matching request.
    pub fn new(endpoint: impl Into<String>, kind: FaultKind) -> Self {
        Fault {
            endpoint: endpoint.into(),
            kind,
            times: None,
            probability: None,
        }
    }

    /// Applies only to the next `n` matching requests.
    #[must_use]
    pub fn times(mut self, n: u32) -> Self {
        self.times = Some(n);
        self
    }

    /// Applies with probability `p`, drawn from the mock's (seedable) generator.
    #[must_use]
    pub fn probability(mut self, p: f64) -> Self {
        self.probability = Some(p);
        self
    }
}

/// Why a control operation on an approval request failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ControlError {
    /// No request has that uuid.
    UnknownApproval,
    /// No user has that id.
    UnknownUser,
    /// The request is no longer pending.
    NotPending(ApprovalStatus),
}

impl std::fmt::Display for ControlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ControlError::UnknownApproval => f.write_str("no approval request has that uuid"),
            ControlError::UnknownUser => f.write_str("no user has that id"),
            ControlError::NotPending(s) => {
                write!(f, "the approval request is already {}", s.as_str())
            }
        }
    }
}

impl std::error::Error for ControlError {}

/// The outcome of a token check, before it is turned into HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VerifyOutcome {
    Valid,
    UnknownUser,
    Invalid,
    Reused,
}

/// The mutable world.
#[derive(Debug)]
pub(crate) struct World {
    pub(crate) rng: Rng,
    pub(crate) users: BTreeMap<u64, User>,
    phones: HashMap<(String, String), u64>,
    /// Approval requests in creation order.
    pub(crate) approvals: Vec<ApprovalRequest>,
    approval_index: HashMap<String, usize>,
    used_totp: HashSet<(u64, i64)>,
    pub(crate) journal: VecDeque<JournalEntry>,
    journal_seq: u64,
    pub(crate) deliveries: Vec<crate::CallbackDelivery>,
    pub(crate) faults: Vec<Fault>,
    pub(crate) default_onetouch: OneTouchBehaviour,
    next_user_id: u64,
}

impl World {
    pub(crate) fn new(seed: Option<u64>, default_onetouch: OneTouchBehaviour) -> Self {
        let mut rng = Rng::new(seed);
        let next_user_id = 1_000_000 + rng.next_u64() % 9_000_000;
        World {
            rng,
            users: BTreeMap::new(),
            phones: HashMap::new(),
            approvals: Vec::new(),
            approval_index: HashMap::new(),
            used_totp: HashSet::new(),
            journal: VecDeque::new(),
            journal_seq: 0,
            deliveries: Vec::new(),
            faults: Vec::new(),
            default_onetouch,
            next_user_id,
        }
    }

    /// Registers a user, or returns the id already given to this phone (adding the email).
    pub(crate) fn register(&mut self, email: &str, cellphone: &str, country_code: &str) -> u64 {
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
        self.next_user_id += 1 + self.rng.next_u64() % 7;
        let secret = self.rng.bytes();
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
        id: u64,
        channel: Channel,
        now: i64,
        action: Option<String>,
        action_message: Option<String>,
    ) -> Option<&User> {
        let token = self.rng.digits(otp::TOKEN_DIGITS as usize);
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
        // App tokens: one step of skew either way, each step usable once.
        for s in step - 1..=step + 1 {
            if otp::totp(&user.secret, s) == token {
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

    pub(crate) fn create_approval(&mut self, mut req: ApprovalRequest) -> String {
        req.uuid = self.rng.uuid();
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

    pub(crate) fn record(&mut self, mut entry: JournalEntry) {
        self.journal_seq += 1;
        entry.seq = self.journal_seq;
        if self.journal.len() >= JOURNAL_CAP {
            self.journal.pop_front();
        }
        self.journal.push_back(entry);
    }

    /// Picks the faults that apply to this request: latencies to sum, and at most one terminal fault.
    pub(crate) fn take_faults(&mut self, endpoint: &str) -> (u64, Option<FaultKind>) {
        let mut delay = 0;
        let mut terminal = None;
        let World { faults, rng, .. } = self;
        for f in faults.iter_mut() {
            if f.endpoint != "*" && f.endpoint != endpoint {
                continue;
            }
            if f.times == Some(0) {
                continue;
            }
            let is_latency = matches!(f.kind, FaultKind::Latency { .. });
            if !is_latency && terminal.is_some() {
                continue;
            }
            if f.probability.is_some_and(|p| rng.next_f64() >= p) {
                continue;
            }
            if let Some(n) = f.times.as_mut() {
                *n -= 1;
            }
            match &f.kind {
                FaultKind::Latency { ms } => delay += ms,
                other => terminal = Some(other.clone()),
            }
        }
        faults.retain(|f| f.times != Some(0));
        (delay, terminal)
    }
}

/// Details of an approval request as a JSON object (null and absent become `{}`).
pub(crate) fn object_or_empty(v: Option<&Value>) -> Value {
    match v {
        Some(Value::Object(m)) => Value::Object(m.clone()),
        _ => Value::Object(Map::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn world() -> World {
        World::new(Some(1), OneTouchBehaviour::Manual)
    }

    #[test]
    fn same_phone_same_id_and_the_email_is_added() {
        let mut w = world();
        let a = w.register("a@x.io", "5551234567", "1");
        let b = w.register("b@x.io", "5551234567", "1");
        let c = w.register("a@x.io", "5551234567", "44");
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(w.users[&a].emails, ["a@x.io", "b@x.io"]);
    }

    #[test]
    fn unconfirmed_user_passes_any_token_without_force_but_not_with_it() {
        let mut w = world();
        let id = w.register("a@x.io", "5551234567", "1");
        assert_eq!(
            w.verify(id, "0000000", false, None, 1_000),
            VerifyOutcome::Valid
        );
        assert_eq!(
            w.verify(id, "0000000", true, None, 1_000),
            VerifyOutcome::Invalid
        );
        assert!(!w.users[&id].confirmed);
    }

    #[test]
    fn app_token_is_single_use_and_confirms_the_user() {
        let mut w = world();
        let id = w.register("a@x.io", "5551234567", "1");
        let t = w.app_token(id, 1_000).unwrap();
        assert_eq!(w.verify(id, &t, true, None, 1_000), VerifyOutcome::Valid);
        assert!(w.users[&id].confirmed);
        assert_eq!(w.verify(id, &t, true, None, 1_000), VerifyOutcome::Reused);
        // Once confirmed, force no longer matters.
        assert_eq!(
            w.verify(id, "1111111", false, None, 1_000),
            VerifyOutcome::Invalid
        );
    }

    #[test]
    fn sms_codes_expire_and_honour_their_action() {
        let mut w = world();
        let id = w.register("a@x.io", "5551234567", "1");
        let code = w
            .send_code(id, Channel::Sms, 0, Some("login".into()), None)
            .unwrap()
            .outbox[0]
            .token
            .clone();
        assert_eq!(w.verify(id, &code, true, None, 10), VerifyOutcome::Invalid);
        assert_eq!(
            w.verify(id, &code, true, Some("login"), CODE_TTL + 1),
            VerifyOutcome::Invalid
        );
        assert_eq!(
            w.verify(id, &code, true, Some("login"), 10),
            VerifyOutcome::Valid
        );
        assert_eq!(
            w.verify(id, &code, true, Some("login"), 11),
            VerifyOutcome::Reused
        );
    }

    #[test]
    fn transitions_happen_once_and_expiry_is_lazy() {
        let mut w = world();
        let base = ApprovalRequest {
            uuid: String::new(),
            authy_id: 1,
            message: "m".into(),
            details: Value::Null,
            hidden_details: Value::Null,
            logos: Value::Null,
            seconds_to_expire: 60,
            created_at: 100,
            status: ApprovalStatus::Pending,
            processed_at: None,
        };
        let u1 = w.create_approval(base.clone());
        let u2 = w.create_approval(base);
        assert_ne!(u1, u2);
        assert!(w.transition(&u1, ApprovalStatus::Approved, 120).is_ok());
        assert!(matches!(
            w.transition(&u1, ApprovalStatus::Denied, 121),
            Err(ControlError::NotPending(ApprovalStatus::Approved))
        ));
        assert_eq!(
            w.approval(&u2, 159).unwrap().status,
            ApprovalStatus::Pending
        );
        assert_eq!(
            w.approval(&u2, 160).unwrap().status,
            ApprovalStatus::Expired
        );
        assert_eq!(w.approval(&u2, 160).unwrap().processed_at, Some(160));
        assert!(matches!(
            w.transition(&u2, ApprovalStatus::Approved, 161),
            Err(ControlError::NotPending(ApprovalStatus::Expired))
        ));
        assert!(matches!(
            w.transition("nope", ApprovalStatus::Approved, 161),
            Err(ControlError::UnknownApproval)
        ));
    }

    #[test]
    fn counted_faults_run_out_and_latency_stacks() {
        let mut w = world();
        w.faults
            .push(Fault::new("verify", FaultKind::Latency { ms: 5 }));
        w.faults
            .push(Fault::new("*", FaultKind::MalformedJson).times(1));
        assert_eq!(w.take_faults("verify"), (5, Some(FaultKind::MalformedJson)));
        assert_eq!(w.take_faults("verify"), (5, None));
        assert_eq!(w.take_faults("sms"), (0, None));
        assert_eq!(w.faults.len(), 1);
    }

    #[test]
    fn probabilistic_faults_follow_the_seed() {
        let run = || {
            let mut w = world();
            w.faults
                .push(Fault::new("*", FaultKind::DropConnection).probability(0.5));
            (0..64)
                .map(|_| w.take_faults("sms").1.is_some())
                .collect::<Vec<_>>()
        };
        let a = run();
        assert_eq!(a, run());
        assert!(a.iter().any(|&x| x) && a.iter().any(|&x| !x));
    }
}
