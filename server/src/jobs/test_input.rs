//! Tests only: deterministic pseudo-random input for the path tests that must never panic
//! or escape the output folder (SEC-35). A fixed xorshift seed, so a failure replays.

/// xorshift64 from a fixed seed.
pub(crate) struct TestInput(u64);

impl TestInput {
    pub(crate) fn new() -> Self {
        Self(0x9e37_79b9_7f4a_7c15)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A string of fewer than `max_len` characters drawn from `alphabet`.
    pub(crate) fn string(&mut self, alphabet: &[char], max_len: u64) -> String {
        let len = (self.next() % max_len) as usize;
        (0..len)
            .map(|_| alphabet[(self.next() % alphabet.len() as u64) as usize])
            .collect()
    }
}
