//! A device that is missing or unusable on this machine: every call reports why.

use crate::devices::{
    Camera, DeviceError, Display, Frame, Hotplug, Indicator, Input, InputDevice, InputEvent, Level,
    Microphone, Permit, Result, Signal, Source,
};

/// Stands in for a device that could not be opened; every call returns the opening error.
pub struct Absent(pub DeviceError);

impl Absent {
    fn fail<T>(&self) -> Result<T> {
        Err(self.0.clone())
    }
    fn label(&self) -> String {
        format!("missing: {}", self.0)
    }
}

impl Camera for Absent {
    fn name(&self) -> String {
        self.label()
    }
    fn formats(&mut self) -> Result<Vec<String>> {
        self.fail()
    }
    fn control(&mut self, _name: &str) -> Result<i64> {
        self.fail()
    }
    fn set_control(&mut self, _name: &str, _value: i64) -> Result<i64> {
        self.fail()
    }
    fn present(&mut self) -> Result<()> {
        self.fail()
    }
    fn still(&mut self, _grant: &dyn Permit) -> Result<Frame> {
        self.fail()
    }
    /// Nothing to read: the recorder gets no frames (it checks `present` first).
    fn source(&self) -> Source {
        Source::Pushed
    }
}

impl Microphone for Absent {
    fn name(&self) -> String {
        self.label()
    }
    fn present(&mut self) -> Result<()> {
        self.fail()
    }
    fn level(&mut self, _grant: &dyn Permit, _ms: u32) -> Result<Level> {
        self.fail()
    }
    fn set_capture_volume(&mut self, _percent: u8) -> Result<Option<u8>> {
        self.fail()
    }
    /// Nothing to read: the recorder gets no samples (it checks `present` first).
    fn source(&self) -> Source {
        Source::Pushed
    }
}

impl Display for Absent {
    fn name(&self) -> String {
        self.label()
    }
    fn modes(&mut self) -> Result<Vec<String>> {
        self.fail()
    }
    fn set_mode(&mut self) -> Result<(u32, u32)> {
        self.fail()
    }
    fn show(&mut self, _frame: &Frame) -> Result<()> {
        self.fail()
    }
    fn grab(&mut self, _grant: &dyn Permit) -> Result<Frame> {
        self.fail()
    }
}

impl Indicator for Absent {
    fn name(&self) -> String {
        self.label()
    }
    fn set_recording(&mut self, _on: bool) -> Result<()> {
        self.fail()
    }
    fn poll(&mut self) -> Result<Vec<Signal>> {
        self.fail()
    }
    fn case_open(&mut self) -> Result<bool> {
        self.fail()
    }
}

impl Input for Absent {
    fn devices(&mut self) -> Result<Vec<InputDevice>> {
        self.fail()
    }
    fn changes(&mut self) -> Result<Vec<Hotplug>> {
        self.fail()
    }
    fn grab(&mut self) -> Result<()> {
        self.fail()
    }
    fn pump_filtered(
        &mut self,
        _timeout_ms: u32,
        _keep: &mut dyn FnMut(&InputEvent) -> bool,
    ) -> Result<Vec<InputEvent>> {
        self.fail()
    }
    fn release(&mut self) -> Result<()> {
        self.fail()
    }
    fn press(&mut self, _code: u16) -> Result<()> {
        self.fail()
    }
}

macro_rules! boxed {
    ($($t:ident),*) => {$(
        impl From<Absent> for Box<dyn $t> {
            fn from(a: Absent) -> Self {
                Box::new(a)
            }
        }
    )*};
}
boxed!(Camera, Microphone, Display, Indicator, Input);
