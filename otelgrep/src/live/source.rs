//! Where `--follow` gets its bytes: one thread per input sends what it reads as [`Event`]s. A
//! file is followed as `tail -F` follows it: waited for when it does not exist yet, read as it
//! grows, read again from its start when it is truncated in place, and, when its name comes to
//! stand for a new file (log rotation by rename), read to its end before the new one is read.
//! Standard input, pipes and compressed files are streams, read until they end. No parsing here.

use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::sync::mpsc::Sender;
use std::time::Duration;

/// What an input's thread tells the loop.
#[derive(Debug)]
pub enum Event {
    /// Bytes read from input `.0`, in order.
    Data(usize, Vec<u8>),
    /// Input `.0` starts over with a new text: what was read of it is complete (its last record,
    /// if unfinished, is cut). The text says why, for stderr.
    Restart(usize, String),
    /// A note for stderr that changes nothing read (waiting for a file); empty: only a check
    /// that the loop still listens.
    Note(String),
    /// Input `.0` ended: a stream closed (with the error that closed it, if any).
    End(usize, Option<String>),
}

/// How often a file is looked at when nothing was appended and no change was notified: four
/// times a second (stat and a read that returns nothing), well under 1% of a core. On Linux a
/// write wakes the reader at once (inotify); the polls catch renames and files on filesystems
/// that do not notify (NFS).
pub const POLL: Duration = Duration::from_millis(250);

/// Waits for a file to change, or for [`POLL`].
struct Waker {
    #[cfg(target_os = "linux")]
    notify: Option<std::os::fd::OwnedFd>,
}

impl Waker {
    fn new(path: &str) -> Waker {
        #[cfg(target_os = "linux")]
        {
            use rustix::fs::inotify::{CreateFlags, WatchFlags, add_watch, init};
            let watched = WatchFlags::MODIFY | WatchFlags::ATTRIB | WatchFlags::MOVE_SELF | WatchFlags::DELETE_SELF;
            let notify = init(CreateFlags::CLOEXEC | CreateFlags::NONBLOCK)
                .ok()
                .filter(|fd| add_watch(fd, path, watched).is_ok());
            Waker { notify }
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = path;
            Waker {}
        }
    }

    fn wait(&self) {
        #[cfg(target_os = "linux")]
        if let Some(fd) = &self.notify {
            use rustix::event::{PollFd, PollFlags, Timespec, poll};
            let mut fds = [PollFd::new(fd, PollFlags::IN)];
            let timeout = Timespec { tv_sec: 0, tv_nsec: POLL.as_nanos() as _ };
            if poll(&mut fds, Some(&timeout)).is_ok_and(|n| n > 0) {
                // What changed does not matter: the file is read, and looked at, again.
                let mut events = [0u8; 4096];
                while rustix::io::read(fd, &mut events).is_ok_and(|n| n > 0) {}
            }
            return;
        }
        std::thread::sleep(POLL);
    }
}

/// Bytes read at a time: a large file followed from its start is read in big pieces, not 64 KiB
/// ones (each piece is parsed on its own).
const READ_AT_ONCE: usize = 8 << 20;

/// Starts the thread that reads input `i` (`-`, or a path) and sends its events to `to`. It
/// stops when the receiving side is gone.
pub fn start(i: usize, name: &str, to: Sender<Event>) {
    let name = name.to_string();
    std::thread::spawn(move || {
        let end = if name == "-" { stream(i, &name, &to) } else { file(i, &name, &to) };
        if let Err(why) = end {
            let _ = to.send(Event::End(i, Some(why)));
        }
    });
}

/// Standard input, a pipe, or a compressed file: read until it ends.
fn stream(i: usize, name: &str, to: &Sender<Event>) -> Result<(), String> {
    let input = crate::parse::read_input(name, false).map_err(|e| format!("{e:#}"))?;
    let Some((mut reader, _)) = input.take_stream() else {
        // Read into memory already (a short compressed file, say): all of it at once.
        let _ = to.send(Event::Data(i, input.to_vec()));
        let _ = to.send(Event::End(i, None));
        return Ok(());
    };
    let mut buf = vec![0u8; 1 << 20];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => {
                let _ = to.send(Event::End(i, None));
                return Ok(());
            }
            Ok(n) => {
                if to.send(Event::Data(i, buf[..n].to_vec())).is_err() {
                    return Ok(());
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// What tells one file from another under the same name.
fn identity(meta: &std::fs::Metadata) -> (u64, u64) {
    (meta.dev(), meta.ino())
}

/// A regular file, followed (see the module's text). Named pipes and compressed files are read
/// as streams.
fn file(i: usize, name: &str, to: &Sender<Event>) -> Result<(), String> {
    let mut waited = false;
    let mut generation = 0;
    loop {
        let mut f = match std::fs::File::open(name) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if !waited {
                    waited = true;
                    let _ = to.send(Event::Note(format!("{name} does not exist yet: waiting for it")));
                }
                if !alive(to) {
                    return Ok(());
                }
                std::thread::sleep(POLL);
                continue;
            }
            Err(e) => return Err(format!("reading {name}: {e}")),
        };
        let meta = f.metadata().map_err(|e| format!("reading {name}: {e}"))?;
        let waker = Waker::new(name);
        // Whether it is compressed is known from its first bytes: an empty file is waited on.
        while meta.is_file() && f.metadata().map_or(0, |m| m.len()) < 4 && std::fs::metadata(name).is_ok() {
            if !alive(to) {
                return Ok(());
            }
            waker.wait();
            if f.metadata().map_or(0, |m| m.len()) > 0 && waited_long(&f) {
                break;
            }
        }
        if !meta.is_file() || compressed(&mut f) {
            return stream(i, name, to);
        }
        if generation > 0 {
            let _ = to.send(Event::Restart(i, format!("{name} is a new file (rotated): reading it from its start")));
        } else if waited {
            let _ = to.send(Event::Note(format!("{name} appeared: following it")));
        }
        generation += 1;
        let id = identity(&meta);
        let mut at: u64 = 0;
        let mut buf = vec![0u8; READ_AT_ONCE];
        loop {
            let n = read_some(&mut f, &mut buf).map_err(|e| format!("reading {name}: {e}"))?;
            if n > 0 {
                at += n as u64;
                if to.send(Event::Data(i, buf[..n].to_vec())).is_err() {
                    return Ok(());
                }
                continue;
            }
            // At the end of what is there now.
            let len = f.metadata().map_err(|e| format!("reading {name}: {e}"))?.len();
            if len < at {
                f.seek(SeekFrom::Start(0)).map_err(|e| format!("reading {name}: {e}"))?;
                at = 0;
                let why = format!("{name} was truncated: reading it again from its start");
                if to.send(Event::Restart(i, why)).is_err() {
                    return Ok(());
                }
                continue;
            }
            // Rotated: the name stands for another file now. The old one was read to its end
            // just above (a writer still appending to it after the rename is not waited for).
            let renamed = match std::fs::metadata(name) {
                Ok(m) => identity(&m) != id,
                Err(_) => false,
            };
            if renamed {
                let n = read_some(&mut f, &mut buf).map_err(|e| format!("reading {name}: {e}"))?;
                if n > 0 {
                    if to.send(Event::Data(i, buf[..n].to_vec())).is_err() {
                        return Ok(());
                    }
                    continue;
                }
                break;
            }
            if !alive(to) {
                return Ok(());
            }
            waker.wait();
        }
    }
}

/// Whether a file shorter than a compression's magic bytes has been left so for a while (a text
/// of one or two bytes, say): it is then read as text.
fn waited_long(f: &std::fs::File) -> bool {
    f.metadata().and_then(|m| m.modified()).is_ok_and(|t| t.elapsed().is_ok_and(|e| e > Duration::from_secs(1)))
}

/// Whether the loop still listens (a note that changes nothing is sent to find out).
fn alive(to: &Sender<Event>) -> bool {
    to.send(Event::Note(String::new())).is_ok()
}

/// Reads what is there, up to `buf`'s length, retrying interrupted reads; 0 at the end for now.
fn read_some(f: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    loop {
        match f.read(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}

/// Whether the file starts with gzip's or zstd's magic bytes (and is then read as a stream).
/// The file is left at its start.
fn compressed(f: &mut std::fs::File) -> bool {
    let mut magic = [0u8; 4];
    let n = read_some(f, &mut magic).unwrap_or(0);
    let _ = f.seek(SeekFrom::Start(0));
    let magic = &magic[..n];
    magic.starts_with(&[0x1f, 0x8b]) || magic.starts_with(&[0x28, 0xb5, 0x2f, 0xfd])
}
