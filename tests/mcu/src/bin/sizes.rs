//! RAM probe: prints, on the target (32-bit Cortex-M4), the size of each component's state and
//! of the futures its async calls return, as tab-separated lines. `footprint.sh` runs it in QEMU
//! and compares each line with the RAM table of `adapters/embedded/README.md` (the names are
//! that table's, without the backticks).
//!
//! Sizes exclude storage the caller lends (`&mut [u8]` buffers count as a pointer and a
//! length). Readers, writers and the event source hold their connection: a [`Pipe`], a slice
//! (8 bytes); the event source's [`Connect`](ssewire_embedded::Connect) also holds one, its
//! clock nothing. Futures are measured with a connection whose own `read`/`write` futures are
//! trivial; a network stack's add their own size.

#![no_std]
#![no_main]

use core::mem::{size_of, size_of_val};
use core::panic::PanicInfo;

use cortex_m_rt::{entry, exception, ExceptionFrame};
use cortex_m_semihosting::{debug, hprintln};
use ssewire::client::{Client, Config};
use ssewire::encode::Event;
use ssewire::http::Framing;
use ssewire::parse::{Parser, Tokenizer};
use ssewire::replay::Replay;
use ssewire_embedded::{EventReader, EventSource, EventStream, EventWriter, NoDelay};

#[path = "../pipe.rs"]
mod pipe;

use pipe::{Dial, Done, Pipe, Still};

/// The core client as the event source holds it, over lent storage. Its generics are written
/// here and in [`Source`] only.
type CoreClient = Client<&'static mut [u8]>;
/// The embedded event source measured: over [`Dial`] and [`Still`].
type Source = EventSource<'static, Dial, Still>;

#[entry]
fn main() -> ! {
    hprintln!("Parser<&mut [u8]>\t{}", size_of::<Parser<&mut [u8]>>());
    hprintln!("Tokenizer\t{}", size_of::<Tokenizer>());
    hprintln!("client::Client\t{}", size_of::<CoreClient>());
    hprintln!("EventReader\t{}", size_of::<EventReader<'static, Pipe>>());
    hprintln!("EventWriter\t{}", size_of::<EventWriter<'static, Pipe>>());
    hprintln!("EventSource\t{}", size_of::<Source>());
    hprintln!(
        "EventStream\t{}",
        size_of::<EventStream<'static, Pipe, Still>>()
    );

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

    let writer = EventWriter::new(Pipe(b""), &mut frame, Framing::Chunked);
    let mut stream = EventStream::new(writer, None, Still);
    let mut storage = [0u8; 256];
    let ring = core::cell::RefCell::new(Replay::new(&mut storage[..], 4));
    let replay = stream.replay(&ring, Some("1"));
    hprintln!("EventStream::replay future\t{}", size_of_val(&replay));
    drop(replay);
    let run = stream.run(Done, core::future::pending::<()>());
    hprintln!("EventStream::run future\t{}", size_of_val(&run));
    drop(run);

    let (mut pipe, mut head) = (Pipe(b""), [0u8; 512]);
    let config = ssewire_embedded::Config::new();
    let accept = ssewire_embedded::accept(&mut pipe, &mut head, &config, NoDelay);
    hprintln!("accept future\t{}", size_of_val(&accept));
    drop(accept);

    let (mut storage, mut buf) = ([0u8; 512], [0u8; 512]);
    let client = Client::new(&mut storage[..], Config::new(), 1);
    if let Ok(mut source) =
        EventSource::new(client, Dial(b""), Still, &mut buf, "http://a.example/")
    {
        let next = source.next();
        hprintln!("EventSource::next future\t{}", size_of_val(&next));
        drop(next);
    }

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
