//! Opening inputs (the bytes-in layer): files are memory-mapped; standard input and compressed
//! files (gzip, several members back to back; zstd, several frames; by their magic bytes, whatever
//! the name) are read whole into memory. A compressed file cut short gives everything before the
//! cut, and says where it was cut. No parsing here.

use std::io::Read;
use std::path::Path;

use anyhow::Context;

/// An input's bytes: mapped from a file, or read into memory (standard input, decompressed).
pub enum Input {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
    /// Decompressed: the format, and why the stream stopped early if it did.
    Decompressed {
        bytes: Vec<u8>,
        format: &'static str,
        cut: Option<String>,
    },
    /// Read once, piece by piece, in bounded memory (standard input, a compressed file): taken
    /// by the one reading it. The format is the compression's, if any.
    Streamed(std::sync::Mutex<Option<Box<dyn Read + Send>>>, Option<&'static str>),
}

impl Input {
    /// The stream to read, once (`None` for inputs in memory, or a stream already taken), and
    /// its compression.
    pub fn take_stream(&self) -> Option<(Box<dyn Read + Send>, Option<&'static str>)> {
        match self {
            Input::Streamed(reader, format) => reader.lock().ok()?.take().map(|r| (r, *format)),
            _ => None,
        }
    }

    /// Why a compressed input ended before its end (`gzip: incomplete deflate stream`).
    pub fn cut(&self) -> Option<(&'static str, &str)> {
        match self {
            Input::Decompressed { format, cut: Some(why), .. } => Some((format, why)),
            _ => None,
        }
    }

    /// Tells the kernel this process is done with `len` bytes at `offset` for now. For a mapped
    /// file the pages leave this process's resident set (they stay in the page cache, and come
    /// back on the next read), so memory does not grow with the input; for bytes in memory it
    /// does nothing.
    pub fn release(&self, offset: usize, len: usize) {
        if let Input::Mapped(map) = self {
            // SAFETY: the map is a read-only file mapping, so DONTNEED discards no data: a later
            // read of these pages maps them again from the file.
            let _ = unsafe { map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, offset, len) };
        }
    }
}

impl std::ops::Deref for Input {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Input::Mapped(m) => m,
            Input::Owned(v) | Input::Decompressed { bytes: v, .. } => v,
            // A stream's bytes are never all in memory: it is read through `take_stream`.
            Input::Streamed(..) => &[],
        }
    }
}

/// Opens an input: a file is memory-mapped; `-` (standard input) and compressed files (by their
/// magic bytes, whatever the name) are streams, or read whole into memory when `whole` (a command
/// that reads its inputs twice).
pub fn read_input(path: &str, whole: bool) -> anyhow::Result<Input> {
    if path == "-" && !whole {
        #[cfg(target_os = "linux")]
        grow_pipe(std::io::stdin());
        return stream(Box::new(std::io::BufReader::with_capacity(1 << 20, std::io::stdin())));
    }
    if path == "-" {
        let mut raw = Vec::new();
        std::io::stdin().lock().read_to_end(&mut raw).context("reading standard input")?;
        return Ok(decompress(raw));
    }
    let p = Path::new(path);
    if p.is_dir() {
        anyhow::bail!("{path}: is a directory");
    }
    let file = std::fs::File::open(p).with_context(|| format!("reading {path}"))?;
    let meta = file.metadata().with_context(|| format!("reading {path}"))?;
    if !meta.is_file() && !whole {
        // A named pipe or `<(command)`: a stream like standard input.
        #[cfg(target_os = "linux")]
        grow_pipe(&file);
        return stream(Box::new(std::io::BufReader::with_capacity(1 << 20, file)));
    }
    if meta.len() == 0 || !meta.is_file() {
        // Empty files cannot be mapped, and pipes or devices do not map.
        let mut raw = Vec::new();
        (&file).read_to_end(&mut raw).with_context(|| format!("reading {path}"))?;
        return Ok(decompress(raw));
    }
    // SAFETY: the map is read-only. If another process truncates the file while we read, we may
    // see SIGBUS; that is the documented cost of mapping, shared by every mmap-based reader.
    let map = unsafe { memmap2::Mmap::map(&file) }.with_context(|| format!("reading {path}"))?;
    if (map.starts_with(GZIP) || map.starts_with(ZSTD)) && !whole {
        drop(map);
        return stream(Box::new(std::io::BufReader::with_capacity(1 << 20, file)));
    }
    if map.starts_with(GZIP) || map.starts_with(ZSTD) {
        return Ok(decompress(map.to_vec()));
    }
    let _ = map.advise(memmap2::Advice::Sequential);
    Ok(Input::Mapped(map))
}

/// A pipe holds 64 KiB by default, so a gigabyte through it is 16,000 turns of writer and reader:
/// `cat 1GB | reader` took 1.9 s with it and 0.32 s with 1 MiB (this machine). Grown to the
/// system's limit for unprivileged pipes (`/proc/sys/fs/pipe-max-size`); anything that is not a
/// pipe, or a limit already reached, leaves it as it was.
#[cfg(target_os = "linux")]
fn grow_pipe(fd: impl std::os::fd::AsFd) {
    let max = std::fs::read_to_string("/proc/sys/fs/pipe-max-size").ok().and_then(|s| s.trim().parse().ok());
    let _ = rustix::pipe::fcntl_setpipe_size(fd, max.unwrap_or(1 << 20).min(16 << 20));
}

/// A stream, decompressed as it is read when its first bytes say it is gzip or zstd.
fn stream(mut reader: Box<dyn std::io::BufRead + Send>) -> anyhow::Result<Input> {
    let head = reader.fill_buf().map(|b| b.to_vec()).unwrap_or_default();
    let (reader, format): (Box<dyn Read + Send>, _) = if head.starts_with(GZIP) {
        (Box::new(flate2::bufread::MultiGzDecoder::new(reader)), Some("gzip"))
    } else if head.starts_with(ZSTD) {
        (Box::new(zstd::stream::read::Decoder::with_buffer(reader).context("starting zstd")?), Some("zstd"))
    } else {
        (Box::new(reader), None)
    };
    Ok(Input::Streamed(std::sync::Mutex::new(Some(reader)), format))
}

const GZIP: &[u8] = &[0x1f, 0x8b];
const ZSTD: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];

/// Decompresses gzip or zstd by their magic bytes; anything else is the input as it is. What was
/// decoded before an error is kept, and the error says where the stream stopped.
fn decompress(raw: Vec<u8>) -> Input {
    let (format, result) = if raw.starts_with(GZIP) {
        let mut out = Vec::new();
        let r = flate2::read::MultiGzDecoder::new(&raw[..]).read_to_end(&mut out).map_err(|e| e.to_string());
        ("gzip", (out, r.err()))
    } else if raw.starts_with(ZSTD) {
        ("zstd", unzstd(&raw))
    } else {
        return Input::Owned(raw);
    };
    let (bytes, cut) = result;
    Input::Decompressed { bytes, format, cut }
}

/// Every zstd frame of `raw`, back to back (the Collector writes one per flush). The decoder
/// hands out what it decoded as it goes, so a cut stream keeps everything before the cut.
fn unzstd(raw: &[u8]) -> (Vec<u8>, Option<String>) {
    let mut out = Vec::new();
    let result = zstd::stream::read::Decoder::with_buffer(raw).and_then(|mut d| {
        // Read in pieces: on an error, what came before it is kept.
        let mut buf = vec![0u8; 1 << 16];
        loop {
            match d.read(&mut buf) {
                Ok(0) => return Ok(()),
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    });
    let cut = result.err().map(|e| {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            "the last frame is incomplete".to_string()
        } else {
            e.to_string()
        }
    });
    (out, cut)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_streams_keep_what_came_before_the_cut() {
        let text: Vec<u8> = (0..200_000).flat_map(|i| format!("line {i}\n").into_bytes()).collect();
        let mut gz = Vec::new();
        {
            use std::io::Write;
            let mut e = flate2::write::GzEncoder::new(&mut gz, flate2::Compression::fast());
            e.write_all(&text).unwrap();
            e.finish().unwrap();
        }
        let zst = zstd::encode_all(&text[..], 3).unwrap();
        for (whole, format) in [(gz, "gzip"), (zst, "zstd")] {
            let all = decompress(whole.clone());
            assert_eq!((&all[..], all.cut()), (&text[..], None), "{format}");
            // Two back to back are both read.
            let twice = decompress([whole.clone(), whole.clone()].concat());
            assert_eq!(twice.len(), 2 * text.len(), "{format}");
            let cut = decompress(whole[..whole.len() / 2].to_vec());
            assert!(cut.cut().is_some_and(|(f, _)| f == format), "{format}");
            assert!(!cut.is_empty() && text.starts_with(&cut), "{format}: {}", cut.len());
        }
    }
}
