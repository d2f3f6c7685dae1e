//! The private key's password: `DRYDOCK_PASSWORD` (empty allowed, as cosign allows it),
//! else a prompt on the controlling terminal with echo off. Never logged or printed.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::AsRawFd;

use anyhow::{Context, Result, bail};
use zeroize::Zeroizing;

pub const PASSWORD_ENV: &str = "DRYDOCK_PASSWORD";

/// The password to open a key with.
pub fn for_reading(what: &str) -> Result<Zeroizing<String>> {
    if let Ok(password) = std::env::var(PASSWORD_ENV) {
        return Ok(Zeroizing::new(password));
    }
    prompt(&format!("Enter password for private key {what}: "))
}

/// A new password, asked twice on a terminal.
pub fn for_new_key() -> Result<Zeroizing<String>> {
    if let Ok(password) = std::env::var(PASSWORD_ENV) {
        return Ok(Zeroizing::new(password));
    }
    let first = prompt("Enter password for private key: ")?;
    let second = prompt("Enter password for private key again: ")?;
    if *first != *second {
        bail!("the two passwords differ");
    }
    Ok(first)
}

pub(crate) fn prompt(text: &str) -> Result<Zeroizing<String>> {
    let mut tty = File::options()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .with_context(|| format!("no terminal to ask for the password on; set {PASSWORD_ENV}"))?;
    tty.write_all(text.as_bytes()).context("writing the password prompt")?;
    tty.flush().ok();
    let line = {
        let _echo_off = EchoOff::new(&tty)?;
        let mut line = Zeroizing::new(String::new());
        BufReader::new(&tty)
            .read_line(&mut line)
            .context("reading the password from the terminal")?;
        line
    };
    tty.write_all(b"\n").ok();
    Ok(Zeroizing::new(line.trim_end_matches(['\r', '\n']).to_string()))
}

/// Turns terminal echo off until dropped.
struct EchoOff {
    fd: i32,
    saved: libc::termios,
}

impl EchoOff {
    fn new(tty: &File) -> Result<Self> {
        let fd = tty.as_raw_fd();
        // SAFETY: `termios` is plain data; tcgetattr fills it for a valid open descriptor.
        let mut saved: libc::termios = unsafe { std::mem::zeroed() };
        if unsafe { libc::tcgetattr(fd, &mut saved) } != 0 {
            bail!(
                "the terminal's settings cannot be read: {}",
                std::io::Error::last_os_error()
            );
        }
        let mut quiet = saved;
        quiet.c_lflag &= !(libc::ECHO | libc::ECHONL);
        quiet.c_lflag |= libc::ICANON;
        // SAFETY: as above; `quiet` is a copy of valid settings with echo cleared.
        if unsafe { libc::tcsetattr(fd, libc::TCSANOW, &quiet) } != 0 {
            bail!(
                "terminal echo cannot be turned off: {}",
                std::io::Error::last_os_error()
            );
        }
        Ok(EchoOff { fd, saved })
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        // SAFETY: restores the settings read in `new` on the same descriptor.
        unsafe {
            libc::tcsetattr(self.fd, libc::TCSANOW, &self.saved);
        }
    }
}
