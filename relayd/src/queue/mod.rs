//! The hand-off's far side: from the spool to delivery. `runner` schedules, `attempt`
//! delivers one message and records each recipient's state (`shared::queue_state`)
//! before acting on it, `bounce` writes the reports for failed recipients.

mod attempt;
mod bounce;
mod hop;
mod limits;
mod runner;
mod scan;
mod schedule;

pub use runner::run;
