//! # lambda-warden (the command line)
//!
//! The rules of the lambda-warden functions, from a terminal or a pipeline:
//!
//! - `check-policy`: one verdict per statement of a resource-based policy ([`check`]);
//! - `evaluate`: the findings for one function's state, offline ([`input`]), or for an event
//!   against an account without changing anything (`--dry-run`);
//! - `scan`: every function, alias and version of some Regions and accounts, through the
//!   adapter's sweep (`warden_aws::sweep`), read only or (`--fix`) applying the plan;
//! - `restore`: the statements an audit record says were removed, added back ([`restore`]).
//! - `exempt`, `unexempt`, `exemptions`: the exemptions recorded in the state table, and
//!   `restore --id`'s read of an audit record from it ([`table`]).
//!
//! Output is a table, the JSON report ([`report`]) or AWS Security Finding Format ([`asff`]).

#![warn(missing_docs)]

pub mod args;
pub mod asff;
pub mod check;
pub mod input;
pub mod record;
pub mod render;
pub mod report;
pub mod run;
pub mod table;
pub mod time;

pub use args::Cli;
pub use run::{run, CliError, Context, Done, Exit};
