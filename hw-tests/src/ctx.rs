//! What every test needs: the board, and a self-test capture grant.

use std::path::PathBuf;
use std::sync::Arc;

use station::session::{Capture, SelfTest, Session};
use station::station::Station;

/// The loaded board and a session in the self-test state (which may capture, never store).
pub struct Ctx {
    /// The board under test.
    pub board: board_config::Board,
    /// Board file path (for `stationctl`).
    pub board_path: PathBuf,
    session: Session<SelfTest>,
}

fn env_path(var: &str, default: &str) -> PathBuf {
    std::env::var_os(var).map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(default)
    })
}

impl Ctx {
    /// Loads board, site and station key from the environment (see the crate docs).
    pub fn load() -> Result<Ctx, String> {
        let board_path = env_path("STATION_BOARD", "board-config/boards/qemu-x86_64.toml");
        let site = env_path("STATION_SITE", "board-config/sites/example.toml");
        let data = std::env::var_os("STATION_DATA_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| std::env::temp_dir().join("hw-tests-station"));
        std::fs::create_dir_all(&data).map_err(|e| format!("{}: {e}", data.display()))?;
        let st = Station::load(&board_path, &site, &data).map_err(|e| e.to_string())?;
        let board = st.board.clone();
        Ok(Ctx {
            board,
            board_path,
            session: Session::boot(Arc::new(st)).self_test(),
        })
    }

    /// A capture grant (self-test: nothing captured is stored).
    pub fn grant(&self) -> Capture<'_> {
        self.session.capture()
    }
}

/// Whether a systemd unit is active.
pub fn unit_active(unit: &str) -> bool {
    std::process::Command::new("systemctl")
        .args(["is-active", "--quiet", unit])
        .status()
        .is_ok_and(|s| s.success())
}

/// Fails with `msg` unless `cond`.
pub fn ensure(cond: bool, msg: impl FnOnce() -> String) -> Result<(), String> {
    if cond {
        Ok(())
    } else {
        Err(msg())
    }
}

/// Polls `f` every 20 ms for up to `secs`; `Ok(None)` when it never yielded a value.
pub fn wait_for<T>(
    secs: u64,
    mut f: impl FnMut() -> Result<Option<T>, String>,
) -> Result<Option<T>, String> {
    let t0 = std::time::Instant::now();
    while t0.elapsed() < std::time::Duration::from_secs(secs) {
        if let Some(v) = f()? {
            return Ok(Some(v));
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    Ok(None)
}

/// Opens the first /dev/input node named `name`, non-blocking.
pub fn open_named(name: &str) -> Result<Option<(String, evdev::Device)>, String> {
    for (path, dev) in evdev::enumerate() {
        if dev.name() == Some(name) {
            let dev = evdev::Device::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            dev.set_nonblocking(true).map_err(|e| e.to_string())?;
            return Ok(Some((path.display().to_string(), dev)));
        }
    }
    Ok(None)
}

/// A uinput device `name` that looks like a USB one (product id `product`), with only `keys`.
pub fn usb_keys(
    name: &str,
    product: u16,
    keys: impl IntoIterator<Item = evdev::KeyCode>,
) -> Result<evdev::uinput::VirtualDevice, String> {
    let mut set = evdev::AttributeSet::<evdev::KeyCode>::new();
    for k in keys {
        set.insert(k);
    }
    evdev::uinput::VirtualDevice::builder()
        .and_then(|b| {
            b.name(name)
                .input_id(evdev::InputId::new(
                    evdev::BusType::BUS_USB,
                    0x1234,
                    product,
                    1,
                ))
                .with_keys(&set)
        })
        .and_then(|b| b.build())
        .map_err(|e| format!("uinput `{name}`: {e}"))
}

/// The names in `dir`, sorted (none if it cannot be read).
pub fn dir_names(dir: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Where the test host's share is mounted (results go back there).
pub fn share() -> PathBuf {
    std::env::var_os("HW_TESTS_SHARE")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir)
}
