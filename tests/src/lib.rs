//! # warden-tests
//!
//! The test harness of lambda-warden: a moto server per test ([`Moto`]), the demo account
//! ([`seed_demo_account`]), and readers for what lambda-warden changed ([`inspect`]) and for
//! the sample events ([`events`]), a fault-injecting proxy in front of moto ([`fault_proxy`]),
//! and the CloudTrail events of lambda-warden's own writes ([`replay`]). The `demo` binary uses
//! the same pieces.
//!
//! Everything runs against moto on 127.0.0.1; nothing here reaches AWS.

#![warn(missing_docs)]

pub mod error;
pub mod event_pattern;
pub mod events;
pub mod fault_proxy;
pub mod inspect;
pub mod local_lambda;
pub mod moto;
pub mod replay;
pub mod sam;
pub mod seed;

pub use error::HarnessError;
pub use events::{load_event, retarget};
pub use fault_proxy::{Fault, FaultProxy, Rule};
pub use inspect::{policy_statements, read_alerts, tags, url_auth_type, FunctionState};
pub use local_lambda::LocalLambda;
pub use moto::Moto;
pub use seed::{seed_demo_account, DemoAccount};
