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

/// Writes with `write` into the front of `buf`, which must hold `len` bytes, as counted
/// beforehand by the same writes: the bytes written, or `None` (and nothing written) if `buf`
/// is too short.
pub(crate) fn write_counted(
    buf: &mut [u8],
    len: usize,
    write: impl FnOnce(&mut Cursor<'_>),
) -> Option<usize> {
    let mut cursor = Cursor::new(buf.get_mut(..len)?);
    write(&mut cursor);
    cursor.written()
}
