//! The core's parser and encoder test vectors, and an EventWriter → EventReader round trip, run
//! on an emulated Cortex-M4 (QEMU `mps2-an386`): the same vectors as `core/tests/spec.rs` and
//! `core/tests/encode.rs`, from the same file.
//!
//! Prints one line per failing case, then `N passed, N failed` as its last line, and exits
//! through semihosting: 0 only if every case passed. A panic or a HardFault prints what
//! happened and exits 1, so a fault never spins.
//!
//! ```text
//! cd tests/mcu && timeout 120 cargo run --release
//! ```

#![no_std]
#![no_main]

#[path = "../../../core/tests/common/vectors.rs"]
mod vectors;

mod round_trip;

use core::panic::PanicInfo;

use cortex_m_rt::{entry, exception, ExceptionFrame};
use cortex_m_semihosting::{debug, hprintln};
use ssewire::parse::Parser;
use vectors::{check_encode, check_run, runs, ENCODE, GROUPS, MAX_STORAGE};

/// Cases passed and failed.
#[derive(Default)]
pub struct Tally {
    passed: u32,
    failed: u32,
}

impl Tally {
    fn record(&mut self, passed: bool) {
        if passed {
            self.passed += 1;
        } else {
            self.failed += 1;
        }
    }
}

#[entry]
fn main() -> ! {
    let mut tally = Tally::default();
    parse_vectors(&mut tally);
    encode_vectors(&mut tally);
    round_trip::run(&mut tally);
    hprintln!("{} passed, {} failed", tally.passed, tally.failed);
    exit(tally.failed == 0)
}

/// Every parse vector, fed whole, one byte at a time and split in two at every position, each
/// run with a fresh parser over stack storage; one tally entry per case.
fn parse_vectors(tally: &mut Tally) {
    let mut storage = [0u8; MAX_STORAGE];
    for group in GROUPS {
        for case in group.cases {
            let failure = runs(case.input.len(), 1).find_map(|run| {
                let mut parser = Parser::with_limits(&mut storage[..group.storage], group.limits);
                check_run(case, &mut parser, run).err().map(|f| (run, f))
            });
            if let Some((run, failure)) = failure {
                hprintln!(
                    "FAIL parse {}::{} ({}): {}",
                    group.name,
                    case.name,
                    run,
                    failure
                );
            }
            tally.record(failure.is_none());
        }
    }
}

/// Every encode vector: exact bytes, or the error.
fn encode_vectors(tally: &mut Tally) {
    for case in ENCODE {
        let result = check_encode(case);
        if let Err(what) = result {
            hprintln!("FAIL encode {}: {}", case.name, what);
        }
        tally.record(result.is_ok());
    }
}

/// Ends the emulation with exit status 0 (`passed`) or 1.
fn exit(passed: bool) -> ! {
    debug::exit(if passed {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    });
    // Only reached without a semihosting host (a real board): stop here.
    loop {
        cortex_m::asm::bkpt();
    }
}

#[panic_handler]
fn panic(info: &PanicInfo<'_>) -> ! {
    hprintln!("panic: {}", info);
    exit(false)
}

#[exception]
unsafe fn HardFault(frame: &ExceptionFrame) -> ! {
    hprintln!(
        "HardFault: pc {:#010x}, lr {:#010x}",
        frame.pc(),
        frame.lr()
    );
    exit(false)
}

#[exception]
unsafe fn DefaultHandler(irqn: i16) {
    hprintln!("unexpected exception or interrupt {}", irqn);
    exit(false)
}
