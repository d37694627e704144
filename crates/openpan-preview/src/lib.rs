//! Preview conversions behind the core's `Converter` port: office documents (both generations,
//! and OpenDocument) into PDF by LibreOffice, run headless in a bounded pool — each worker with
//! its own profile directory, each conversion under a time limit and killed with everything it
//! started past it — and thumbnails of pictures (the `image` crate), of PDFs (poppler's
//! `pdftoppm` renders the first page).
//!
//! It turns bytes into bytes: it must never depend on the database, the blob stores or the
//! server.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use openpan_core::convert::{ConversionTarget, ConvertError, Converted, Converter};
use openpan_core::preview::PreviewKind;
use tempfile::TempDir;

/// The longest edge of a thumbnail, in pixels.
pub const THUMBNAIL_EDGE: u32 = 256;

/// How previews are made on this node.
#[derive(Debug, Clone)]
pub struct PreviewSettings {
    /// LibreOffice's `soffice`; office documents get no preview without it.
    pub soffice: Option<PathBuf>,
    /// poppler's `pdftoppm`; PDFs and office documents get no thumbnail without it.
    pub pdftoppm: Option<PathBuf>,
    /// LibreOffice processes that may run at once.
    pub workers: usize,
    /// The longest one conversion may take before it is killed.
    pub timeout: Duration,
    /// Office documents larger than this are not converted.
    pub max_office_bytes: u64,
    /// Pictures larger than this get no thumbnail.
    pub max_image_bytes: u64,
}

impl PreviewSettings {
    /// LibreOffice and poppler from `PATH`, when installed.
    pub fn from_path() -> Self {
        Self {
            soffice: find_program("soffice"),
            pdftoppm: find_program("pdftoppm"),
            workers: 2,
            timeout: Duration::from_secs(120),
            max_office_bytes: 100 << 20,
            max_image_bytes: 50 << 20,
        }
    }
}

/// The first executable file named `name` on `PATH`.
pub fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

/// Office documents to PDF, and thumbnails.
pub struct PreviewConverter {
    settings: PreviewSettings,
    /// One permit per LibreOffice worker.
    workers: tokio::sync::Semaphore,
    /// Profiles not in use. LibreOffice locks its profile, so two processes never share one.
    profiles: Mutex<Vec<TempDir>>,
}

impl PreviewConverter {
    pub fn new(settings: PreviewSettings) -> Self {
        let workers = tokio::sync::Semaphore::new(settings.workers.max(1));
        Self {
            settings,
            workers,
            profiles: Mutex::new(Vec::new()),
        }
    }

    /// Whether office documents can be converted here.
    pub fn converts_office(&self) -> bool {
        self.settings.soffice.is_some()
    }

    /// An office document as PDF.
    pub async fn office_to_pdf(&self, name: &str, bytes: Vec<u8>) -> Result<Vec<u8>, ConvertError> {
        let soffice = self
            .settings
            .soffice
            .as_ref()
            .ok_or_else(|| ConvertError::Failed("LibreOffice is not installed".into()))?;
        let _worker = self
            .workers
            .acquire()
            .await
            .map_err(|_| ConvertError::Failed("the converter is shutting down".into()))?;
        let profile = self.take_profile()?;
        let work = scratch()?;
        let source = work.path().join(format!("source.{}", extension(name)));
        tokio::fs::write(&source, bytes).await.map_err(failed)?;
        let mut command = tokio::process::Command::new(soffice);
        command
            .arg(format!("-env:UserInstallation=file://{}", profile.path().display()))
            .args([
                "--headless",
                "--invisible",
                "--norestore",
                "--nolockcheck",
                "--nologo",
                "--nodefault",
            ])
            .args(["--convert-to", "pdf", "--outdir"])
            .arg(work.path())
            .arg(&source)
            .env("HOME", profile.path());
        let outcome = run(command, self.settings.timeout).await;
        match &outcome {
            Ok(()) => self.return_profile(profile),
            // A killed or failed LibreOffice may leave its profile locked or half written.
            Err(_) => drop(profile),
        }
        outcome?;
        match tokio::fs::read(work.path().join("source.pdf")).await {
            Ok(pdf) if pdf.starts_with(b"%PDF") => Ok(pdf),
            // LibreOffice exits 0 and writes nothing for content it cannot read.
            _ => Err(ConvertError::Unreadable),
        }
    }

    /// A PNG of a PDF's first page, at most [`THUMBNAIL_EDGE`] pixels on its longer edge.
    pub async fn pdf_thumbnail(&self, pdf: Vec<u8>) -> Result<Vec<u8>, ConvertError> {
        let pdftoppm = self
            .settings
            .pdftoppm
            .as_ref()
            .ok_or_else(|| ConvertError::Failed("pdftoppm is not installed".into()))?;
        let work = scratch()?;
        let source = work.path().join("source.pdf");
        tokio::fs::write(&source, pdf).await.map_err(failed)?;
        let mut command = tokio::process::Command::new(pdftoppm);
        command
            .args(["-png", "-f", "1", "-l", "1", "-singlefile", "-scale-to"])
            .arg(THUMBNAIL_EDGE.to_string())
            .arg(&source)
            .arg(work.path().join("page"));
        run(command, self.settings.timeout).await?;
        tokio::fs::read(work.path().join("page.png"))
            .await
            .map_err(|_| ConvertError::Unreadable)
    }

    fn take_profile(&self) -> Result<TempDir, ConvertError> {
        let spare = self
            .profiles
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop();
        match spare {
            Some(profile) => Ok(profile),
            None => tempfile::Builder::new()
                .prefix("openpan-office-")
                .tempdir()
                .map_err(failed),
        }
    }

    fn return_profile(&self, profile: TempDir) {
        self.profiles
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(profile);
    }
}

/// A PNG thumbnail of a picture, decoded under size limits so a crafted file cannot take the
/// memory.
pub fn image_thumbnail(bytes: &[u8]) -> Result<Vec<u8>, ConvertError> {
    let mut reader = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| ConvertError::Unreadable)?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(20_000);
    limits.max_image_height = Some(20_000);
    limits.max_alloc = Some(512 << 20);
    reader.limits(limits);
    let picture = reader.decode().map_err(|_| ConvertError::Unreadable)?;
    let thumbnail = picture.thumbnail(THUMBNAIL_EDGE, THUMBNAIL_EDGE);
    let mut png = Vec::new();
    thumbnail
        .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(|err| ConvertError::Failed(err.to_string()))?;
    Ok(png)
}

#[async_trait]
impl Converter for PreviewConverter {
    fn max_source_bytes(&self, target: ConversionTarget) -> u64 {
        match target {
            ConversionTarget::Thumbnail => self.settings.max_image_bytes.max(self.settings.max_office_bytes),
            _ => self.settings.max_office_bytes,
        }
    }

    fn source_kind(&self, name: &str, target: ConversionTarget) -> Option<&'static str> {
        let kind = PreviewKind::of(name)?;
        let office = self.settings.soffice.is_some();
        let pdf_pages = self.settings.pdftoppm.is_some();
        match (target, kind) {
            (ConversionTarget::Pdf, PreviewKind::Office) if office => Some("office"),
            (ConversionTarget::Thumbnail, PreviewKind::Image) => Some("image"),
            (ConversionTarget::Thumbnail, PreviewKind::Pdf) if pdf_pages => Some("pdf"),
            // An office document's thumbnail is made by the core from its PDF.
            _ => None,
        }
    }

    async fn convert(&self, name: &str, bytes: Vec<u8>, target: ConversionTarget) -> Result<Converted, ConvertError> {
        let kind = PreviewKind::of(name).ok_or(ConvertError::Unreadable)?;
        let bytes = match (target, kind) {
            (ConversionTarget::Pdf, PreviewKind::Office) => self.office_to_pdf(name, bytes).await?,
            (ConversionTarget::Thumbnail, PreviewKind::Image) => {
                if bytes.len() as u64 > self.settings.max_image_bytes {
                    return Err(ConvertError::Unreadable);
                }
                tokio::task::spawn_blocking(move || image_thumbnail(&bytes))
                    .await
                    .map_err(|err| ConvertError::Failed(err.to_string()))??
            }
            (ConversionTarget::Thumbnail, PreviewKind::Pdf) => self.pdf_thumbnail(bytes).await?,
            _ => return Err(ConvertError::Unreadable),
        };
        Ok(Converted {
            bytes,
            truncated: false,
        })
    }
}

/// Runs a converting program in its own process group, so that on time-out it is killed with
/// every process it started (LibreOffice's launcher starts another).
async fn run(mut command: tokio::process::Command, timeout: Duration) -> Result<(), ConvertError> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .process_group(0);
    let child = command.spawn().map_err(failed)?;
    let group = child.id();
    match tokio::time::timeout(timeout, child.wait_with_output()).await {
        Ok(Ok(output)) if output.status.success() => Ok(()),
        Ok(Ok(output)) => {
            tracing::warn!(
                status = %output.status,
                stderr = %String::from_utf8_lossy(&output.stderr),
                "a preview converter failed"
            );
            Err(ConvertError::Unreadable)
        }
        Ok(Err(err)) => Err(failed(err)),
        Err(_) => {
            if let Some(group) = group {
                kill_group(group).await;
            }
            Err(ConvertError::TimedOut)
        }
    }
}

/// Kills a process group by its leader's id, with the system's `kill` (the workspace allows
/// no `unsafe` for calling the libc function).
async fn kill_group(group: u32) {
    let killed = tokio::process::Command::new("kill")
        .arg("-KILL")
        .arg("--")
        .arg(format!("-{group}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await;
    if let Err(err) = killed {
        tracing::warn!(error = %err, group, "could not kill a timed-out converter");
    }
}

fn scratch() -> Result<TempDir, ConvertError> {
    tempfile::Builder::new()
        .prefix("openpan-preview-")
        .tempdir()
        .map_err(failed)
}

fn failed(err: std::io::Error) -> ConvertError {
    ConvertError::Failed(err.to_string())
}

/// The source's extension for LibreOffice's file name (it guesses the filter from it), kept to
/// plain ASCII letters and digits.
fn extension(name: &str) -> String {
    let extension = name.rsplit_once('.').map(|(_, ext)| ext).unwrap_or_default();
    let clean: String = extension
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(8)
        .collect::<String>()
        .to_ascii_lowercase();
    if clean.is_empty() { "bin".to_owned() } else { clean }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let picture =
            image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
        let mut bytes = Vec::new();
        image::DynamicImage::ImageRgb8(picture)
            .write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Png)
            .unwrap();
        bytes
    }

    #[test]
    fn a_thumbnail_keeps_the_pictures_proportions_within_the_edge() {
        let thumbnail = image_thumbnail(&png(1024, 512)).unwrap();
        let decoded = image::load_from_memory(&thumbnail).unwrap();
        assert_eq!(
            (decoded.width(), decoded.height()),
            (THUMBNAIL_EDGE, THUMBNAIL_EDGE / 2)
        );
    }

    #[test]
    fn bytes_that_are_no_picture_are_unreadable() {
        assert_eq!(image_thumbnail(b"not a picture"), Err(ConvertError::Unreadable));
    }

    #[test]
    fn odd_extensions_become_safe_file_names() {
        assert_eq!(extension("报告.DOCX"), "docx");
        assert_eq!(extension("x.d/o c"), "doc");
        assert_eq!(extension("noext"), "bin");
    }

    #[tokio::test]
    async fn a_converter_past_its_time_is_killed_with_its_children() {
        let marker = tempfile::tempdir().unwrap();
        let pid_file = marker.path().join("child");
        let mut command = tokio::process::Command::new("sh");
        command
            .arg("-c")
            .arg(format!("sleep 30 & echo $! > {}; wait", pid_file.display()));
        let outcome = run(command, Duration::from_millis(300)).await;
        assert_eq!(outcome, Err(ConvertError::TimedOut));
        let child: u32 = std::fs::read_to_string(&pid_file).unwrap().trim().parse().unwrap();
        // The grandchild went with the group (it may linger a moment as a zombie of init).
        let alive = || {
            std::fs::read_to_string(format!("/proc/{child}/stat"))
                .is_ok_and(|stat| stat.split_whitespace().nth(2).is_none_or(|state| state != "Z"))
        };
        for _ in 0..50 {
            if !alive() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("the converter's child outlived its time-out");
    }
}
