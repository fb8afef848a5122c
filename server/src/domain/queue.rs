//! What the rest of the system needs from the job runner, as a trait: the download service
//! depends on this, not on the runner.

pub trait JobQueue: Send + Sync {
    /// A job was queued: an idle worker should look.
    fn wake(&self);
    /// Stop this job now if it runs on this instance (others learn it from the database).
    fn cancel_local(&self, id: i64);
}
