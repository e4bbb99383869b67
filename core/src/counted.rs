//! Where writers put bytes: counted first, for an exact length, then written into a slice.

/// A destination for written bytes.
pub(crate) trait Out {
    fn put(&mut self, bytes: &[u8]);
}

/// Counts bytes instead of writing them.
pub(crate) struct Counter(pub(crate) usize);

impl Out for Counter {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        self.0 = self.0.saturating_add(bytes.len());
    }
}

/// Writes into a slice; once something does not fit, writes nothing more and reports full.
#[derive(Debug)]
pub(crate) struct Cursor<'b> {
    buf: &'b mut [u8],
    /// Bytes written, or `usize::MAX` once full.
    len: usize,
}

impl<'b> Cursor<'b> {
    pub(crate) fn new(buf: &'b mut [u8]) -> Self {
        Cursor { buf, len: 0 }
    }

    /// The bytes written, or `None` if something did not fit.
    pub(crate) fn written(&self) -> Option<usize> {
        (self.len != usize::MAX).then_some(self.len)
    }
}

impl Out for Cursor<'_> {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        match self
            .buf
            .get_mut(self.len..)
            .and_then(|rest| rest.get_mut(..bytes.len()))
        {
            Some(dest) => {
                dest.copy_from_slice(bytes);
                self.len += bytes.len();
            }
            None => self.len = usize::MAX,
        }
    }
}

/// What is written through [`Out`]: counted for its exact length, then written into a slice,
/// by the same code.
pub(crate) trait Writes {
    /// Whether the writing code goes through `dyn Out` on 32-bit targets, microcontrollers
    /// mostly: compiled once rather than once for counting and once for writing. Measured on a
    /// Cortex-M4: 270 bytes less flash for the encoder; more for the HTTP heads, which keep it
    /// off. 64-bit hosts never do it (it halves the encoder's speed).
    const COMPACT: bool;

    /// [`COMPACT`](Writes::COMPACT), on a 32-bit target.
    const VIA_DYN: bool = Self::COMPACT && cfg!(not(target_pointer_width = "64"));

    /// Puts the bytes.
    fn write_out<O: Out + ?Sized>(&self, out: &mut O);

    /// The exact number of bytes [`write_out`](Writes::write_out) puts.
    fn counted_len(&self) -> usize {
        let mut counter = Counter(0);
        if Self::VIA_DYN {
            self.write_out(&mut counter as &mut dyn Out);
        } else {
            self.write_out(&mut counter);
        }
        counter.0
    }

    /// Writes into the front of `buf`, which must hold `len` bytes as counted: the bytes
    /// written, or `None` (and nothing written) if `buf` is too short.
    fn write_into(&self, buf: &mut [u8], len: usize) -> Option<usize> {
        let mut cursor = Cursor::new(buf.get_mut(..len)?);
        if Self::VIA_DYN {
            self.write_out(&mut cursor as &mut dyn Out);
        } else {
            self.write_out(&mut cursor);
        }
        cursor.written()
    }
}
