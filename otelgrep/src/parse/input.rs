//! Opening inputs: files are memory-mapped, standard input and gzip files (by their magic bytes,
//! whatever the name) are read whole into memory. No parsing here.

use std::io::Read;
use std::path::Path;

use anyhow::Context;

/// An input's bytes: mapped from a file, or read into memory (standard input, gzip).
pub enum Input {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

impl Input {
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
            Input::Owned(v) => v,
        }
    }
}

/// Opens an input: a file is memory-mapped; `-` (standard input) and gzip files (by their magic
/// bytes, whatever the name) are read whole into memory.
pub fn read_input(path: &str) -> anyhow::Result<Input> {
    if path == "-" {
        let mut raw = Vec::new();
        std::io::stdin().lock().read_to_end(&mut raw).context("reading standard input")?;
        return gunzip_if_needed(path, raw);
    }
    let p = Path::new(path);
    if p.is_dir() {
        anyhow::bail!("{path}: is a directory");
    }
    let file = std::fs::File::open(p).with_context(|| format!("reading {path}"))?;
    let meta = file.metadata().with_context(|| format!("reading {path}"))?;
    if meta.len() == 0 || !meta.is_file() {
        // Empty files cannot be mapped, and pipes or devices do not map.
        let mut raw = Vec::new();
        (&file).read_to_end(&mut raw).with_context(|| format!("reading {path}"))?;
        return gunzip_if_needed(path, raw);
    }
    // SAFETY: the map is read-only. If another process truncates the file while we read, we may
    // see SIGBUS; that is the documented cost of mapping, shared by every mmap-based reader.
    let map = unsafe { memmap2::Mmap::map(&file) }.with_context(|| format!("reading {path}"))?;
    if map.starts_with(&[0x1f, 0x8b]) {
        return gunzip_if_needed(path, map.to_vec());
    }
    let _ = map.advise(memmap2::Advice::Sequential);
    Ok(Input::Mapped(map))
}

fn gunzip_if_needed(path: &str, raw: Vec<u8>) -> anyhow::Result<Input> {
    if !raw.starts_with(&[0x1f, 0x8b]) {
        return Ok(Input::Owned(raw));
    }
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(&raw[..])
        .read_to_end(&mut out)
        .with_context(|| format!("{path}: not a valid gzip file"))?;
    Ok(Input::Owned(out))
}
