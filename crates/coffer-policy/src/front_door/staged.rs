//! Changes that stand only once audited.

/// How to undo a staged change, given its lock.
type Undo<'a, G> = Box<dyn FnOnce(&mut G) + 'a>;

/// A change made under a held write lock and not yet recorded. Dropped, it
/// is undone, still under the lock; kept, it stands. The front door keeps a
/// change only after its audit event is written, so a change never stands
/// unaudited, and since the lock is held throughout nobody sees one that is
/// later undone.
pub(crate) struct Staged<'a, G> {
    lock: G,
    undo: Option<Undo<'a, G>>,
}

impl<'a, G> Staged<'a, G> {
    /// A change already applied through `lock`, and how to undo it.
    pub(crate) fn new(lock: G, undo: impl FnOnce(&mut G) + 'a) -> Self {
        Staged {
            lock,
            undo: Some(Box::new(undo)),
        }
    }

    /// Lets the change stand and releases the lock.
    pub(crate) fn keep(mut self) {
        self.undo = None;
    }
}

impl<G> Drop for Staged<'_, G> {
    fn drop(&mut self) {
        if let Some(undo) = self.undo.take() {
            undo(&mut self.lock);
        }
    }
}
