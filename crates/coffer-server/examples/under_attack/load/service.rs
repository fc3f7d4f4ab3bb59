//! The built `coffer-server` as a child process on a fresh data directory:
//! administration commands, `serve` on a loopback port, its memory.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A running `coffer-server serve`, killed when dropped.
pub struct Service {
    child: Child,
    /// Where it listens.
    pub address: SocketAddr,
}

/// Runs an administration command of `server` on `data`; its stdout,
/// trimmed.
pub fn admin(server: &Path, data: &Path, args: &[&str]) -> Result<String, String> {
    let output = Command::new(server)
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .env_remove("COFFER_POSTGRES_URL")
        .output()
        .map_err(|e| format!("cannot run `{}`: {e}", server.display()))?;
    if !output.status.success() {
        return Err(format!(
            "coffer-server {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    String::from_utf8(output.stdout)
        .map(|s| s.trim().to_owned())
        .map_err(|e| e.to_string())
}

/// Makes `principal` an Owner of its tenant and returns a new API key.
pub fn owner_with_key(server: &Path, data: &Path, principal: &str) -> Result<String, String> {
    admin(server, data, &["grant", principal, "owner", "--operator", "load"])?;
    admin(server, data, &["keys", "create", principal, "--label", "load"])
}

impl Service {
    /// Starts `serve --listen 127.0.0.1:0` on `data` with `args`, its
    /// logs (warnings and errors) going to `log`.
    pub fn start(server: &Path, data: &Path, args: &[String], log: &Path) -> Result<Service, String> {
        let log = std::fs::File::create(log).map_err(|e| e.to_string())?;
        let mut child = Command::new(server)
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data)
            .args(args)
            .env_remove("COFFER_POSTGRES_URL")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start `{}`: {e}", server.display()))?;
        let mut line = String::new();
        let stdout = child.stdout.take().ok_or("no stdout")?;
        BufReader::new(stdout)
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        let address = line
            .trim()
            .strip_prefix("listening on http://")
            .and_then(|a| a.parse().ok())
            .ok_or_else(|| format!("unexpected first line `{}`", line.trim()))?;
        Ok(Service { child, address })
    }

    /// The service's peak and current resident memory, in KiB
    /// (`VmHWM`, `VmRSS`).
    pub fn memory(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        (field(&status, "VmHWM:"), field(&status, "VmRSS:"))
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn field(status: &str, name: &str) -> u64 {
    status
        .lines()
        .find_map(|l| l.strip_prefix(name))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// This process's open-file limit (soft), which the service inherits.
pub fn open_file_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// The `coffer-server` next to this program's directory
/// (`target/<profile>/coffer-server` for `target/<profile>/examples/…`).
pub fn sibling_server() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let profile = exe.parent()?.parent()?;
    let server = profile.join("coffer-server");
    server.exists().then_some(server)
}
