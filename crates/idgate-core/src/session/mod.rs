//! Verification sessions: settings and their validation, the status state machine, the order of
//! steps, the decision policy, event types.

pub mod decision;
pub mod settings;
pub mod status;
mod steps;
#[cfg(test)]
mod tests;

pub use settings::{
    parse_create, CreateSession, DocumentTemplate, OpenMode, Settings, Step, StepConfig, Strictness,
};
pub use status::{EventType, Status};

/// Why a step cannot be submitted now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepRefusal {
    /// The session's settings do not have this step.
    NotInSession,
    /// The session waits for another step first (`expected`), or has none left (`None`).
    OutOfOrder { expected: Option<Step> },
}

impl Settings {
    /// Checks that `submitted` is the session's current step and returns the step after it
    /// (`None`: it was the last one, so the session goes to processing).
    pub fn advance(
        &self,
        current: Option<&str>,
        submitted: Step,
    ) -> Result<Option<Step>, StepRefusal> {
        let pos = self
            .steps
            .iter()
            .position(|c| c.step == submitted)
            .ok_or(StepRefusal::NotInSession)?;
        if current != Some(submitted.as_str()) {
            let expected = current.and_then(|c| self.steps.iter().find(|s| s.step.as_str() == c));
            return Err(StepRefusal::OutOfOrder {
                expected: expected.map(|s| s.step),
            });
        }
        Ok(self.steps.get(pos + 1).map(|c| c.step))
    }

    /// The `personal_document` step's configuration, if the session has one.
    pub fn document_step(&self) -> Option<&StepConfig> {
        self.steps.iter().find(|c| c.step == Step::PersonalDocument)
    }
}
