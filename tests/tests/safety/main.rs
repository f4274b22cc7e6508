//! lambda-warden's safety case, one module per concern of "safe to let loose on a production
//! account": stale state and concurrency ([`races`]), loops and duplicates ([`loops`]), faults
//! ([`faults`]), reversibility ([`restore`]), hostile input ([`bad_input`]) and secrets in
//! logs ([`secrets`]). Each test starts its own moto (through `tests/moto/launch.py`) and,
//! where faults are injected, a proxy in front of it ([`warden_tests::fault_proxy`]).

mod bad_input;
mod faults;
mod loops;
mod races;
mod restore;
mod secrets;
mod world;
