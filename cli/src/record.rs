//! The audit record a `restore` is given as a file: the record itself (an alert's message), the
//! SNS notification that carried it, or decision log lines of the functions, one JSON line
//! each, which may split one record over several lines
//! ([`warden_aws::runtime::record_from_log_lines`]).

use warden_aws::runtime::{self, JoinError};
use warden_rules::report::AuditRecord;

use crate::input::{self, InputError};

/// Reads the audit record in file `path` (`-`: standard input).
///
/// Decision log lines are joined first (every part of one record id; of the write-ahead and the
/// finished copy of a record, the finished one); any other input is one JSON document
/// ([`input::audit_record`]).
///
/// # Errors
/// [`InputError`] when the file cannot be read or holds no audit record, and
/// [`InputError::Field`] (field `decision lines`) when its decision lines do not make one whole
/// record (parts missing, of several records, or contradicting each other).
pub fn from_file(path: &str) -> Result<AuditRecord, InputError> {
    let text = input::read_text(path)?;
    let document = match runtime::record_from_log_lines(&text) {
        Ok(joined) => joined,
        Err(JoinError::Empty) => text,
        Err(e) => {
            return Err(InputError::Field {
                path: path.to_owned(),
                field: "decision lines".to_owned(),
                expected: "every part of one audit record",
                found: e.to_string(),
            })
        }
    };
    input::audit_record(path, &input::parse_json(path, &document)?)
}
