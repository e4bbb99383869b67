//! Server-Sent Events from a microcontroller: an STM32F401RC (Cortex-M4F, 256 KiB flash,
//! 64 KiB RAM) with a WIZnet W5500 Ethernet chip on SPI1 serves the readings of its internal
//! temperature sensor at `http://192.168.1.50/events`, one event a second, to two clients at
//! once. See README.md.
//!
//! - embassy-net runs on the W5500 in MACRAW mode (`embassy-net-wiznet`); embassy-stm32 drives
//!   SPI1 with DMA, the W5500's interrupt line and the ADC.
//! - The sensor task encodes each reading once (`event: reading`, a numeric `id`, JSON data
//!   formatted straight into the frame) into a replay ring, and tells the clients.
//! - Each client task answers the handshake with `ssewire_embedded::accept`, resumes from the
//!   `Last-Event-ID` the client sends (from the replay, while it holds the event), then sends
//!   every new reading, and a keep-alive comment after 15 s without one.

#![no_std]
#![no_main]

use core::cell::RefCell;
use core::fmt::Write as _;

use embassy_executor::Spawner;
use embassy_futures::select::{select, Either};
use embassy_net_wiznet::chip::W5500;
use embassy_stm32::adc::{Adc, SampleTime};
use embassy_stm32::exti::{self, ExtiInput};
use embassy_stm32::gpio::{Level, Output, Pull, Speed};
use embassy_stm32::mode::Async;
use embassy_stm32::peripherals::ADC1;
use embassy_stm32::spi::{self, mode::Master, Spi};
use embassy_stm32::time::Hertz;
use embassy_stm32::{bind_interrupts, dma, interrupt, peripherals};
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_sync::blocking_mutex::Mutex;
use embassy_sync::watch::{Receiver, Watch};
use embedded_hal_bus::spi::ExclusiveDevice;
use panic_halt as _;
use ssewire::encode::{EncodeError, Frame};
use ssewire::replay::{storage_len, ArrayReplay, Miss};
use ssewire_embedded::embassy::embassy_net::tcp::{self, TcpSocket};
use ssewire_embedded::embassy::embassy_net::{
    self, Ipv4Address, Ipv4Cidr, Stack, StackResources, StaticConfigV4,
};
use ssewire_embedded::embassy::embassy_time::{Delay, Duration, Instant, Ticker, Timer};
use ssewire_embedded::embassy::{close, Time};
use ssewire_embedded::http::{Cors, Framing};
use ssewire_embedded::{accept, Config, EventWriter, SendError, CHUNK_OVERHEAD};
use static_cell::StaticCell;

/// The device's address, and its network's gateway: change them for yours.
const ADDRESS: Ipv4Cidr = Ipv4Cidr::new(Ipv4Address::new(192, 168, 1, 50), 24);
const GATEWAY: Ipv4Address = Ipv4Address::new(192, 168, 1, 1);
/// A locally administered MAC address (make it unique on your network).
const MAC: [u8; 6] = [0x02, 0x55, 0x53, 0x45, 0x00, 0x01];
const PORT: u16 = 80;

/// Clients served at once; each has its own task, socket and buffers.
const CLIENTS: usize = 2;
/// How often the sensor is read.
const PERIOD: Duration = Duration::from_secs(1);
/// A keep-alive comment after this long without an event.
const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// A client that acknowledges nothing for this long (not even keep-alives) is dropped.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(60);
/// The time a client has to send its request head, in milliseconds.
const HEAD_TIMEOUT: ssewire::client::Duration = ssewire::client::Duration::from_millis(5_000);
/// The readings kept for clients that reconnect: a minute's worth, in about 4 KiB.
const REPLAY_EVENTS: usize = 64;
const REPLAY_LEN: usize = storage_len(REPLAY_EVENTS, 3 * 1024);
/// The largest encoded reading.
const FRAME_LEN: usize = 128;

/// How streams are served: `/events` only, close-delimited (any HTTP client), open to pages
/// of any origin.
static SSE: Config<'static> = Config::new()
    .paths(&["/events"])
    .framing(Framing::Close)
    .cors(Cors::new("*"))
    .head_timeout(HEAD_TIMEOUT);

/// The readings: encoded frames by id. Ids are consecutive numbers from 1.
type Readings = Mutex<CriticalSectionRawMutex, RefCell<ArrayReplay<REPLAY_LEN>>>;
/// The id of the newest reading, watched by each client task.
static NEWEST: Watch<CriticalSectionRawMutex, u64, CLIENTS> = Watch::new();

bind_interrupts!(struct Irqs {
    DMA2_STREAM0 => dma::InterruptHandler<peripherals::DMA2_CH0>;
    DMA2_STREAM3 => dma::InterruptHandler<peripherals::DMA2_CH3>;
    EXTI0 => exti::InterruptHandler<interrupt::typelevel::EXTI0>;
});

/// The W5500 on SPI1, with its chip select.
type Wiznet = ExclusiveDevice<Spi<'static, Async, Master>, Output<'static>, Delay>;

#[embassy_executor::main]
async fn main(spawner: Spawner) {
    let p = embassy_stm32::init(clocks());

    // SPI1: SCK PA5, MISO PA6, MOSI PA7, chip select PA4; W5500 interrupt PB0, reset PB1.
    let mut spi_config = spi::Config::default();
    spi_config.frequency = Hertz(21_000_000); // APB2 84 MHz / 4; the W5500 takes up to 33 MHz
    let spi = Spi::new(
        p.SPI1, p.PA5, p.PA7, p.PA6, p.DMA2_CH3, p.DMA2_CH0, Irqs, spi_config,
    );
    let cs = Output::new(p.PA4, Level::High, Speed::VeryHigh);
    let Ok(spi) = ExclusiveDevice::new(spi, cs, Delay);
    let int = ExtiInput::new(p.PB0, p.EXTI0, Pull::Up, Irqs);
    let reset = Output::new(p.PB1, Level::High, Speed::VeryHigh);

    static WIZNET: StaticCell<embassy_net_wiznet::State<1, 1>> = StaticCell::new();
    let state = WIZNET.init(embassy_net_wiznet::State::new());
    let (device, runner) = match embassy_net_wiznet::new(MAC, state, spi, int, reset).await {
        Ok(driver) => driver,
        Err(_) => panic!("no W5500 answers on SPI1"),
    };
    spawner.spawn(ethernet(runner).expect("ethernet task"));

    let config = embassy_net::Config::ipv4_static(StaticConfigV4 {
        address: ADDRESS,
        gateway: Some(GATEWAY),
        dns_servers: Default::default(),
    });
    // One socket per client; nothing else (static address: no DHCP socket).
    static RESOURCES: StaticCell<StackResources<CLIENTS>> = StaticCell::new();
    let (stack, runner) = embassy_net::new(
        device,
        config,
        RESOURCES.init(StackResources::new()),
        seed(),
    );
    spawner.spawn(network(runner).expect("network task"));

    // Made at run time, in .bss: a `static` with an initializer would cost its size in flash.
    static READINGS: StaticCell<Readings> = StaticCell::new();
    let readings: &'static Readings = READINGS.init_with(|| {
        Mutex::new(RefCell::new(ArrayReplay::new(
            [0; REPLAY_LEN],
            REPLAY_EVENTS,
        )))
    });
    spawner.spawn(sensor(Adc::new(p.ADC1), readings).expect("sensor task"));
    for _ in 0..CLIENTS {
        spawner.spawn(client(stack, readings).expect("client task"));
    }
}

/// 84 MHz from the internal 16 MHz oscillator (no crystal needed): PLL 16 / 16 × 336 / 4.
fn clocks() -> embassy_stm32::Config {
    use embassy_stm32::rcc::{
        AHBPrescaler, APBPrescaler, Pll, PllMul, PllPDiv, PllPreDiv, PllQDiv, PllSource, Sysclk,
    };
    let mut config = embassy_stm32::Config::default();
    config.rcc.hsi = true;
    config.rcc.pll_src = PllSource::HSI;
    config.rcc.pll = Some(Pll {
        prediv: PllPreDiv::DIV16,
        mul: PllMul::MUL336,
        divp: Some(PllPDiv::DIV4), // 84 MHz system clock
        divq: Some(PllQDiv::DIV7), // 48 MHz for USB, unused
        divr: None,
    });
    config.rcc.sys = Sysclk::PLL1_P;
    config.rcc.ahb_pre = AHBPrescaler::DIV1;
    config.rcc.apb1_pre = APBPrescaler::DIV2; // 42 MHz, its maximum
    config.rcc.apb2_pre = APBPrescaler::DIV1;
    config
}

/// A seed for the stack's initial sequence numbers and ports, from the chip's unique ID: the
/// F401 has no random number generator.
fn seed() -> u64 {
    let uid = embassy_stm32::uid::uid();
    // FNV-1a over the 96 bits.
    uid.iter().fold(0xcbf2_9ce4_8422_2325, |hash: u64, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[embassy_executor::task]
async fn ethernet(
    runner: embassy_net_wiznet::Runner<
        'static,
        W5500,
        Wiznet,
        ExtiInput<'static, Async>,
        Output<'static>,
    >,
) -> ! {
    runner.run().await
}

#[embassy_executor::task]
async fn network(
    mut runner: embassy_net::Runner<'static, embassy_net_wiznet::Device<'static>>,
) -> ! {
    runner.run().await
}

/// Reads the temperature sensor each [`PERIOD`], encodes the reading, keeps it for replay, and
/// tells the clients.
#[embassy_executor::task]
async fn sensor(mut adc: Adc<'static, ADC1>, readings: &'static Readings) -> ! {
    let mut vrefint = adc.enable_vrefint();
    let mut temperature = adc.enable_temperature();
    let sender = NEWEST.sender();
    let mut ticker = Ticker::every(PERIOD);
    let mut buf = [0u8; FRAME_LEN];
    let mut id: u64 = 0;
    loop {
        ticker.next().await;
        let vref = adc.blocking_read(&mut vrefint, SampleTime::CYCLES480);
        let raw = adc.blocking_read(&mut temperature, SampleTime::CYCLES480);
        id += 1;
        let mut digits = Digits::new();
        let id_text = digits.format(id);
        let Ok(len) = encode(id_text, Reading::new(raw, vref), &mut buf) else {
            continue; // cannot happen: the frame fits in FRAME_LEN
        };
        let frame = &buf[..len];
        readings.lock(|replay| {
            // Too large to keep cannot happen either: FRAME_LEN is far below the capacity.
            let _ = replay.borrow_mut().push(id_text, frame);
        });
        sender.send(id);
    }
}

/// A temperature reading from the internal sensor.
struct Reading {
    /// Tenths of a degree Celsius.
    deci_celsius: i32,
    /// The supply (VDDA), in millivolts, measured against the internal reference.
    vdda_mv: u32,
}

impl Reading {
    /// From the raw 12-bit conversions of the temperature sensor and of VREFINT (1.21 V
    /// typical), with the datasheet's typical V25 (760 mV) and slope (2.5 mV/°C).
    fn new(raw: u16, vrefint: u16) -> Self {
        let vdda_mv = 1210 * 4095 / u32::from(vrefint.max(1));
        let sensor_mv = u32::from(raw) * vdda_mv / 4095;
        // (mV - 760) / 2.5 °C = (mV - 760) × 4 tenths, from 25 °C.
        let deci_celsius = (sensor_mv as i32 - 760) * 4 + 250;
        Reading {
            deci_celsius,
            vdda_mv,
        }
    }
}

/// Encodes a reading as `event: reading`, its id, and JSON data formatted straight into the
/// frame, such as `{"temp_c":31.4,"vdda_mv":3297,"uptime_s":42}`.
fn encode(id: &str, reading: Reading, buf: &mut [u8]) -> Result<usize, EncodeError> {
    let mut frame = Frame::new(buf);
    frame.event("reading")?;
    frame.id(id)?;
    let sign = if reading.deci_celsius < 0 { "-" } else { "" };
    let tenths = reading.deci_celsius.unsigned_abs();
    // A frame too small shows in `finish`.
    let _ = write!(
        frame,
        "{{\"temp_c\":{sign}{}.{},\"vdda_mv\":{},\"uptime_s\":{}}}",
        tenths / 10,
        tenths % 10,
        reading.vdda_mv,
        Instant::now().as_secs()
    );
    frame.finish()
}

/// A number in decimal, without `alloc`.
struct Digits {
    buf: [u8; 20],
    start: usize,
}

impl Digits {
    fn new() -> Self {
        Digits {
            buf: [0; 20],
            start: 20,
        }
    }

    fn format(&mut self, mut n: u64) -> &str {
        self.start = self.buf.len();
        loop {
            self.start -= 1;
            self.buf[self.start] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        core::str::from_utf8(&self.buf[self.start..]).unwrap_or_default()
    }
}

/// Serves clients one after the other on its own socket: [`CLIENTS`] of these run at once.
#[embassy_executor::task(pool_size = CLIENTS)]
async fn client(stack: Stack<'static>, readings: &'static Readings) -> ! {
    // Requests are short and come once; the stream goes out.
    let (mut rx, mut tx) = ([0u8; 1024], [0u8; 2048]);
    let mut head = [0u8; 1024];
    let Some(mut newest) = NEWEST.receiver() else {
        panic!("more client tasks than watchers");
    };
    loop {
        let mut socket = TcpSocket::new(stack, &mut rx, &mut tx);
        socket.set_timeout(Some(CLIENT_TIMEOUT));
        if socket.accept(PORT).await.is_err() {
            continue;
        }
        // Whatever ended the stream (the client left, a bad request), end the connection so
        // the client sees it: close, and wait for the FIN to be acknowledged.
        let _ = stream(&mut socket, &mut head, readings, &mut newest).await;
        let _ = close(&mut socket, Duration::from_secs(2)).await;
    }
}

/// Answers a request and streams readings until the connection fails.
async fn stream(
    socket: &mut TcpSocket<'_>,
    head: &mut [u8],
    readings: &Readings,
    newest: &mut Receiver<'static, CriticalSectionRawMutex, u64, CLIENTS>,
) -> Result<(), SendError<tcp::Error>> {
    let Ok(accepted) = accept(socket, head, &SSE, Time).await else {
        return Ok(()); // answered (400, 404, 405, 431), too slow, or gone
    };
    // Where this client is in the readings: held across the awaits below, while the readings
    // are locked only to copy one frame out.
    let mut cursor = readings.lock(|replay| {
        let replay = replay.borrow();
        match accepted.last_event_id.map(|id| replay.cursor(id)) {
            // Resume right after the last reading it saw.
            Some(Ok(cursor)) => cursor,
            // Further behind than the replay reaches: what is kept, from the oldest.
            Some(Err(Miss::Evicted)) => replay.oldest(),
            // A new client, or an id this device did not give since it started: the newest.
            Some(Err(_)) | None => replay.latest(1),
        }
    });
    // The writer's buffer only holds keep-alive comments; readings go out as encoded.
    let mut small = [0u8; 8 + CHUNK_OVERHEAD];
    let mut writer = EventWriter::new(socket, &mut small, accepted.framing);
    let mut frame = [0u8; FRAME_LEN];
    loop {
        // The reading at the cursor, copied out under the lock (a client that fell behind the
        // replay goes on from the oldest kept), then written with no lock held.
        while let Some(len) = readings.lock(|replay| {
            let replay = replay.borrow();
            let next = match replay.next_frame(&mut cursor) {
                Ok(next) => next,
                Err(_) => {
                    cursor = replay.oldest();
                    replay.next_frame(&mut cursor).ok()?
                }
            }?;
            frame.get_mut(..next.len())?.copy_from_slice(next);
            Some(next.len())
        }) {
            writer.send_encoded(&frame[..len]).await?;
        }
        match select(newest.changed(), Timer::after(KEEP_ALIVE)).await {
            Either::First(_) => {}
            Either::Second(()) => writer.keep_alive().await?,
        }
    }
}
