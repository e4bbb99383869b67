//! RAM probe: prints, on the target (32-bit Cortex-M4), the size of each component's state and
//! of the futures its async calls return, as tab-separated lines. `footprint.sh` runs it in QEMU
//! and compares each line with the RAM table of `adapters/embedded/README.md` (the names are
//! that table's, without the backticks).
//!
//! Sizes exclude storage the caller lends (`&mut [u8]` buffers count as a pointer and a
//! length). Readers and writers hold their connection: a [`Pipe`], a slice (8 bytes). Futures
//! are measured with a connection whose own `read`/`write` futures are trivial; a network
//! stack's add their own size.

#![no_std]
#![no_main]

use core::mem::{size_of, size_of_val};
use core::panic::PanicInfo;

use cortex_m_rt::{entry, exception, ExceptionFrame};
use cortex_m_semihosting::{debug, hprintln};
use ssewire::client::Client;
use ssewire::encode::Event;
use ssewire::http::Framing;
use ssewire::parse::{Parser, Tokenizer};
use ssewire_embedded::{EventReader, EventWriter, NoDelay};

#[path = "../pipe.rs"]
mod pipe;

use pipe::Pipe;

/// The core client over lent storage. Its generics are written here only.
type CoreClient = Client<'static>;

#[entry]
fn main() -> ! {
    hprintln!("Parser<&mut [u8]>\t{}", size_of::<Parser<&mut [u8]>>());
    hprintln!("Tokenizer\t{}", size_of::<Tokenizer>());
    hprintln!("client::Client\t{}", size_of::<CoreClient>());
    hprintln!("EventReader\t{}", size_of::<EventReader<'static, Pipe>>());
    hprintln!("EventWriter\t{}", size_of::<EventWriter<'static, Pipe>>());

    let (mut buf, mut storage) = ([0u8; 64], [0u8; 512]);
    let mut reader = EventReader::new(Pipe(b""), &mut buf, &mut storage, Framing::Chunked);
    let next = reader.next();
    hprintln!("EventReader::next future\t{}", size_of_val(&next));
    drop(next);

    let mut frame = [0u8; 256];
    let mut writer = EventWriter::new(Pipe(b""), &mut frame, Framing::Chunked);
    let event = Event::new("x");
    let send = writer.send(&event);
    hprintln!("EventWriter::send future\t{}", size_of_val(&send));
    drop(send);

    let (mut pipe, mut head) = (Pipe(b""), [0u8; 512]);
    let config = ssewire_embedded::Config::new();
    let accept = ssewire_embedded::accept(&mut pipe, &mut head, &config, NoDelay);
    hprintln!("accept future\t{}", size_of_val(&accept));
    drop(accept);

    debug::exit(debug::EXIT_SUCCESS);
    loop {
        cortex_m::asm::bkpt();
    }
}

#[panic_handler]
fn panic(info: &PanicInfo<'_>) -> ! {
    hprintln!("panic: {}", info);
    debug::exit(debug::EXIT_FAILURE);
    loop {
        cortex_m::asm::bkpt();
    }
}

#[exception]
unsafe fn HardFault(frame: &ExceptionFrame) -> ! {
    hprintln!("HardFault: pc {:#010x}", frame.pc());
    debug::exit(debug::EXIT_FAILURE);
    loop {
        cortex_m::asm::bkpt();
    }
}
