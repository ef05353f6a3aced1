//! Running as the `run_as` user. Started as root, relayd binds its listeners and its
//! control socket, gives that user the spool and mailboxes (owner) and the store (group,
//! read), then sets its groups, group and user for good and checks that root cannot be
//! regained, before the first session is served. It refuses to serve as root unless the
//! store says `run_as root`. Started as any other user, it runs as that user.

use std::ffi::{CStr, CString};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

/// The user relayd runs as when the store does not say.
pub const DEFAULT_USER: &str = "relay";

#[derive(Debug, Clone)]
pub struct Account {
    pub name: String,
    pub uid: libc::uid_t,
    pub gid: libc::gid_t,
}

/// What a start as root must do.
pub enum Plan {
    /// Not root: nothing to change.
    AsIs,
    /// `run_as root`, explicitly.
    StayRoot,
    Become(Account),
}

/// Decides from `run_as` (`None`: not in the store) whether and to whom to drop.
pub fn plan(run_as: Option<&str>) -> anyhow::Result<Plan> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Ok(Plan::AsIs);
    }
    let name = run_as.unwrap_or(DEFAULT_USER);
    if name == "root" {
        return Ok(Plan::StayRoot);
    }
    match lookup(name)? {
        Some(account) if account.uid == 0 => anyhow::bail!(
            "run_as {name} has uid 0: that is root by another name (set run_as root to mean it)"
        ),
        Some(account) => Ok(Plan::Become(account)),
        None if run_as.is_none() => anyhow::bail!(
            "refusing to serve as root: the default run_as user `{DEFAULT_USER}` does not exist \
             (create it, e.g. `useradd --system --no-create-home --shell /usr/sbin/nologin {DEFAULT_USER}`, \
             or set /config/relayd run_as to another user, or to root to mean root)"
        ),
        None => anyhow::bail!("run_as user `{name}` does not exist"),
    }
}

/// The password database's entry for `name`.
fn lookup(name: &str) -> anyhow::Result<Option<Account>> {
    let c_name =
        CString::new(name).map_err(|_| anyhow::anyhow!("run_as `{name}`: not a user name"))?;
    let mut buf = vec![0u8; 16 * 1024];
    // SAFETY: passwd is plain data, all zeros is a valid (empty) value.
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut found: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer is to memory we own and sized as given; getpwnam_r writes
    // the entry's strings into `buf` and points `found` at `pwd` or leaves it null.
    let rc = unsafe {
        libc::getpwnam_r(
            c_name.as_ptr(),
            &mut pwd,
            buf.as_mut_ptr().cast(),
            buf.len(),
            &mut found,
        )
    };
    if rc != 0 {
        anyhow::bail!(
            "looking up run_as user `{name}`: {}",
            std::io::Error::from_raw_os_error(rc)
        );
    }
    if found.is_null() {
        return Ok(None);
    }
    // SAFETY: on success pw_name points into `buf`, NUL-terminated.
    let real = unsafe { CStr::from_ptr(pwd.pw_name) }
        .to_string_lossy()
        .into_owned();
    Ok(Some(Account {
        name: real,
        uid: pwd.pw_uid,
        gid: pwd.pw_gid,
    }))
}

/// As root, before the drop: the account owns the spool and the mailboxes (everything
/// in them, as a queue left by a root relayd may hold root's files), and reads the
/// store through its group. The store folder gets the set-group-ID bit, so the files
/// relayctl writes later keep that group and stay readable.
pub fn hand_over(account: &Account, store: &Path, writable: &[&Path]) -> anyhow::Result<()> {
    for dir in writable {
        std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?;
        chown_tree(dir, account.uid, account.gid)?;
    }
    let meta = std::fs::metadata(store).map_err(|e| anyhow::anyhow!("{}: {e}", store.display()))?;
    chown(store, meta.uid(), account.gid)?;
    let mode = (meta.permissions().mode() & 0o7777) | 0o2050;
    std::fs::set_permissions(store, std::fs::Permissions::from_mode(mode))
        .map_err(|e| anyhow::anyhow!("{}: {e}", store.display()))?;
    for entry in
        std::fs::read_dir(store).map_err(|e| anyhow::anyhow!("{}: {e}", store.display()))?
    {
        let entry = entry?;
        let path = entry.path();
        let meta = std::fs::symlink_metadata(&path)?;
        if meta.is_file() && !writable.iter().any(|w| path.starts_with(w)) {
            chown(&path, meta.uid(), account.gid)?;
            // Readable by the group; nothing here becomes writable by it.
            let mode = (meta.permissions().mode() & 0o7777) | 0o040;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))?;
        }
    }
    Ok(())
}

fn chown(path: &Path, uid: libc::uid_t, gid: libc::gid_t) -> anyhow::Result<()> {
    std::os::unix::fs::lchown(path, Some(uid), Some(gid))
        .map_err(|e| anyhow::anyhow!("giving {} to uid {uid}: {e}", path.display()))
}

fn chown_tree(dir: &Path, uid: libc::uid_t, gid: libc::gid_t) -> anyhow::Result<()> {
    chown(dir, uid, gid)?;
    for entry in std::fs::read_dir(dir).map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))? {
        let path = entry?.path();
        let meta = std::fs::symlink_metadata(&path)?;
        if meta.is_dir() {
            chown_tree(&path, uid, gid)?;
        } else {
            chown(&path, uid, gid)?;
        }
    }
    Ok(())
}

/// Becomes `account` for good: supplementary groups, group, then user (in that order:
/// after setuid the others are no longer allowed), and then proves that root is gone.
pub fn become_user(account: &Account) -> anyhow::Result<()> {
    let gid = account.gid;
    // SAFETY: plain system calls on values we own; glibc applies set*id to every thread.
    unsafe {
        if libc::setgroups(1, &gid) != 0 {
            anyhow::bail!("setgroups: {}", std::io::Error::last_os_error());
        }
        if libc::setresgid(gid, gid, gid) != 0 {
            anyhow::bail!("setgid {gid}: {}", std::io::Error::last_os_error());
        }
        if libc::setresuid(account.uid, account.uid, account.uid) != 0 {
            anyhow::bail!(
                "setuid {}: {}",
                account.uid,
                std::io::Error::last_os_error()
            );
        }
        let (mut r, mut e, mut s) = (0, 0, 0);
        let ids_ok = libc::getresuid(&mut r, &mut e, &mut s) == 0
            && [r, e, s].iter().all(|&id| id == account.uid);
        if !ids_ok || libc::setuid(0) == 0 || libc::seteuid(0) == 0 {
            anyhow::bail!(
                "root could be regained after becoming {}: refusing to serve",
                account.name
            );
        }
    }
    Ok(())
}
