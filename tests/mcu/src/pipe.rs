//! A connection with trivial I/O futures, for the size probes (`bin/footprint.rs`,
//! `bin/sizes.rs`): it reads from a static slice and writes into `black_box`, so that nothing
//! is folded away.

use core::convert::Infallible;
use core::hint::black_box;

use embedded_io_async::{ErrorType, Read, Write};

/// A connection that reads from a static slice and writes into `black_box`.
pub struct Pipe(pub &'static [u8]);

impl ErrorType for Pipe {
    type Error = Infallible;
}

impl Read for Pipe {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> {
        let n = self.0.len().min(buf.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(black_box(n))
    }
}

impl Write for Pipe {
    async fn write(&mut self, data: &[u8]) -> Result<usize, Infallible> {
        Ok(black_box(data).len())
    }

    async fn flush(&mut self) -> Result<(), Infallible> {
        Ok(())
    }
}
