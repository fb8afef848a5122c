//! How many live event streams each user holds open (SEC-46). A slot is taken when a stream
//! opens and given back when its `StreamSlot` is dropped — which poem does when the client
//! goes away or the stream ends — so a crashed tab cannot leak one.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

pub struct StreamSlots {
    per_user: usize,
    open: Arc<Mutex<HashMap<i64, usize>>>,
}

/// One open stream of one user; dropping it frees the slot.
pub struct StreamSlot {
    user_id: i64,
    open: Arc<Mutex<HashMap<i64, usize>>>,
}

impl StreamSlots {
    pub fn new(per_user: usize) -> Self {
        Self {
            per_user,
            open: Arc::default(),
        }
    }

    pub fn per_user(&self) -> usize {
        self.per_user
    }

    /// A slot, or `None` when the user already has `per_user` streams open.
    pub fn try_open(&self, user_id: i64) -> Option<StreamSlot> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let count = open.entry(user_id).or_insert(0);
        if *count >= self.per_user {
            return None;
        }
        *count += 1;
        Some(StreamSlot {
            user_id,
            open: self.open.clone(),
        })
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&self.user_id) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.user_id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_user_gets_the_cap_and_a_closed_stream_gives_its_slot_back_sec_46() {
        let slots = StreamSlots::new(2);
        let a = slots.try_open(1).unwrap();
        let _b = slots.try_open(1).unwrap();
        assert!(slots.try_open(1).is_none());
        assert!(slots.try_open(2).is_some(), "another user is unaffected");
        drop(a);
        assert!(slots.try_open(1).is_some());
    }
}
