//! # warden-rules
//!
//! The pure core of lambda-warden: no AWS SDK, no network, no clock reads (time is an argument).
//! Data flows forward through one module per step, one typed value between steps:
//!
//! EventBridge envelope → [`trigger::parse`] → [`gate::decide`] → (the adapter fetches a
//! [`snapshot::FunctionSnapshot`]) → [`rules::evaluate`] → [`plan::plan`] → (the adapter
//! executes it into an [`outcome::Outcome`]) → [`report`] (audit record and alert); and back:
//! [`restore::restore_actions`] undoes a remediation from its audit record.
//!
//! `aws.iam` events enter through [`iam_trigger::parse`] and [`iam_trigger::decide`]; the
//! adapter then finds the functions the changed role or policy applies to, and each goes
//! through the same evaluation.

pub mod config;
pub mod dates;
pub mod event_name;
pub mod findings;
pub mod gate;
pub mod grant;
pub mod iam_trigger;
pub mod ids;
pub mod outcome;
pub mod plan;
pub mod policy;
pub mod reads;
pub mod report;
pub mod restore;
pub mod rule_id;
pub mod rules;
pub mod secrets;
pub mod snapshot;
pub mod state;
pub mod tags;
pub mod trigger;
pub mod work;
