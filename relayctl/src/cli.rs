//! The command line, defined once: parsing, `--help` and `man relayctl` all come from
//! these definitions.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// niutil's verbs, which relayctl also accepts with niutil's leading dash.
pub const NIUTIL_VERBS: &[&str] = &[
    "create",
    "destroy",
    "createprop",
    "appendprop",
    "mergeprop",
    "insertval",
    "destroyprop",
    "destroyval",
    "renameprop",
    "read",
    "list",
    "readprop",
    "readval",
    "domainname",
];

/// The store used when neither --store nor RELAY_STORE is given.
pub const DEFAULT_STORE: &str = "/var/db/relay";

const AFTER_HELP: &str = "\
EXIT STATUS:
  0    success (relay check: the message would be accepted)
  1    usage error, a refused write (bad entry, open relay), or relay check: refused
  2    the relay settings in the store cannot be understood (a flag that is not 0 or 1)
  3    bad index (-insertval, -readval)
  104  permission denied (a _locked directory, or file permissions)
  105  no such directory
  106  no such property
  199  general failure: a store file that does not parse, an I/O error
  200  unknown domain

EXAMPLES:
  relayctl -create . /config/AppleMailServer
  relayctl -createprop . /config/AppleMailServer open_relay_addr_flag 1
  relayctl -appendprop . /config/AppleMailServer open_relay_addr_list 192.168.40.0/21
  relayctl -read . /config/AppleMailServer
  relayctl relay add 10.0.0.0/8 mail.example.com
  relayctl config set local_domains example.org --wait
  relayctl relay import trusted-hosts.txt --dry-run
  relayctl relay check 10.1.2.3 --rcpt someone@example.net
  echo secret | relayctl user add alice";

#[derive(Debug, Parser)]
#[command(
    name = "relayctl",
    version,
    about = "Edit the relay store the way niutil edits NetInfo, and manage the trusted hosts",
    long_about = "relayctl edits the relay's NetInfo-style store. It accepts niutil's verbs as niutil \
spells them (`relayctl -createprop . /config/AppleMailServer open_relay_addr_flag 1`), with the same \
argument order, output and exit statuses; nidump/niload's raw format; and task-shaped commands \
(`relayctl relay add`, `relay import`, `relay check`, `user add`, `show`) that write the same keys. \
relayd watches the store and applies every change at once.",
    after_help = AFTER_HELP
)]
pub struct Cli {
    /// The store folder holding the local domain `.`
    #[arg(long, global = true, env = "RELAY_STORE", value_name = "PATH", default_value = DEFAULT_STORE)]
    pub store: PathBuf,

    /// The store folder of the parent domain `/` (without it, the local domain is the root)
    #[arg(long, global = true, env = "RELAY_PARENT_STORE", value_name = "PATH")]
    pub parent_store: Option<PathBuf>,

    /// Print read results as JSON, for scripts
    #[arg(long, global = true)]
    pub json: bool,

    /// Write even what relayctl would refuse: host entries that do not parse, a flag
    /// that is not 0 or 1, settings that make an open relay
    #[arg(long, global = true)]
    pub force: bool,

    /// After a write, return only once the running relayd enforces it (exit 1 if it
    /// refuses the new store or does not apply it within --wait-timeout)
    #[arg(long, global = true)]
    pub wait: bool,

    /// Seconds --wait waits
    #[arg(long, global = true, value_name = "SECS", default_value_t = 10.0)]
    pub wait_timeout: f64,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Make a directory and any missing parents (niutil -create)
    Create(DirArgs),
    /// Delete a directory and everything below it (niutil -destroy)
    Destroy(DirArgs),
    /// Set a property to exactly these values (niutil -createprop)
    Createprop(PropValues),
    /// Append values to a property, creating it if missing (niutil -appendprop)
    Appendprop(PropValuesRequired),
    /// Append only values not already present (niutil -mergeprop)
    Mergeprop(PropValuesRequired),
    /// Insert one value at an index (niutil -insertval)
    Insertval(InsertVal),
    /// Remove properties (niutil -destroyprop)
    Destroyprop(DestroyProp),
    /// Remove every occurrence of each value (niutil -destroyval)
    Destroyval(PropValuesRequired),
    /// Rename a property (niutil -renameprop)
    Renameprop(RenameProp),
    /// Print each property as `key: v1 v2` (niutil -read)
    Read(DirArgs),
    /// Print each child as `ID<TAB> name` or its KEY's values (niutil -list)
    List(ListArgs),
    /// Print a property's values, space separated (niutil -readprop)
    Readprop(PropKey),
    /// Print one value of a property (niutil -readval)
    Readval(ReadVal),
    /// Print the domain's name (niutil -domainname)
    Domainname(DomainArg),
    /// Print a subtree in nidump's raw format
    Nidump(Nidump),
    /// Replace (or with -m merge) a subtree from raw format on standard input
    Niload(Niload),
    /// The Restricted SMTP Relay: flag, trusted hosts, and what a client may do
    #[command(subcommand)]
    Relay(RelayCommand),
    /// SMTP AUTH required of every client not on the list (smtp_auth_flag)
    #[command(subcommand)]
    Auth(AuthCommand),
    /// SMTP AUTH users (/users/NAME with an argon2id passwd)
    #[command(subcommand)]
    User(UserCommand),
    /// Every relay setting, explained
    Show,
    /// Read and write settings by key, without NetInfo paths (like postconf)
    #[command(subcommand)]
    Config(ConfigCommand),
    /// DKIM keys for signing mail relayed to MX hosts
    #[command(subcommand)]
    Dkim(DkimCommand),
    /// What the running relayd enforces: serial, counts, last reload, sessions, counters
    Status,
    /// The messages relayd has accepted and not yet delivered
    #[command(subcommand)]
    Queue(QueueCommand),
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print each KEY (every key when none is given) as `key = values`, marking defaults
    Get {
        /// Keys such as local_domains or max_connections
        keys: Vec<String>,
    },
    /// Set KEY to exactly these values, checked as relayd would read them; creates
    /// /config/relayd when it is missing
    Set {
        /// A key such as local_domains or max_connections
        key: String,
        /// Its values, in order
        #[arg(required = true, allow_hyphen_values = true)]
        values: Vec<String>,
    },
    /// Remove keys from the store, so that their defaults apply
    Unset {
        /// Keys such as local_domains or max_connections
        #[arg(required = true)]
        keys: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum DkimCommand {
    /// Write a new private key and print the DNS TXT record to publish (signing is
    /// turned on afterwards, with the config commands it prints)
    Keygen {
        /// The signing domain (d=)
        #[arg(long)]
        domain: String,
        /// The selector (s=): the record goes at SELECTOR._domainkey.DOMAIN
        #[arg(long)]
        selector: String,
        /// rsa (rsa-sha256, the one every verifier knows) or ed25519 (ed25519-sha256)
        #[arg(long, value_enum, default_value_t = DkimAlgorithm::Rsa)]
        algorithm: DkimAlgorithm,
        /// RSA key size
        #[arg(long, default_value_t = 2048)]
        bits: usize,
        /// Where to write the key (default: STORE/dkim-SELECTOR.key)
        #[arg(long, value_name = "PATH")]
        out: Option<PathBuf>,
    },
    /// Sign mail to MX hosts with this key from now on (dkim_domain, dkim_selector and
    /// dkim_key in one write, after checking the key loads)
    Enable {
        /// The signing domain (d=)
        #[arg(long)]
        domain: String,
        /// The selector (s=)
        #[arg(long)]
        selector: String,
        /// The PEM private key
        #[arg(long, value_name = "PATH")]
        key: PathBuf,
    },
    /// Stop signing (removes the three keys)
    Disable,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum DkimAlgorithm {
    Rsa,
    Ed25519,
}

#[derive(Debug, Subcommand)]
pub enum QueueCommand {
    /// List queued messages with each recipient's state, attempts, last reply and next retry
    List,
    /// One queued message: its envelope, each recipient's state, and its headers
    Show {
        /// The queue id
        id: String,
    },
    /// Try every queued message now, or only ID (asks the running relayd)
    Flush {
        /// The queue id
        id: Option<String>,
    },
    /// Keep ID queued without delivering it until it is released
    Hold {
        /// The queue id
        id: String,
    },
    /// Deliver a held message again
    Release {
        /// The queue id
        id: String,
    },
    /// Remove ID from the queue without delivering it or bouncing it
    Delete {
        /// The queue id
        id: String,
    },
}

#[derive(Debug, Args)]
pub struct DomainArg {
    /// `.` for the local store, `/` for the parent (root) domain
    pub domain: String,
}

#[derive(Debug, Args)]
pub struct DirArgs {
    /// `.` for the local store, `/` for the parent (root) domain
    pub domain: String,
    /// A NetInfo path (`/config/AppleMailServer`, `/name=users/uid=501`) or directory id
    pub path: String,
}

#[derive(Debug, Args)]
pub struct PropKey {
    /// `.` for the local store, `/` for the parent (root) domain
    pub domain: String,
    /// A NetInfo path (`/config/AppleMailServer`, `/name=users/uid=501`) or directory id
    pub path: String,
    /// The property key
    pub key: String,
}

#[derive(Debug, Args)]
pub struct PropValues {
    /// `.` for the local store, `/` for the parent (root) domain
    pub domain: String,
    /// A NetInfo path (`/config/AppleMailServer`, `/name=users/uid=501`) or directory id
    pub path: String,
    /// The property key
    pub key: String,
    #[arg(allow_hyphen_values = true)]
    /// Values, in order
    pub values: Vec<String>,
}

#[derive(Debug, Args)]
pub struct PropValuesRequired {
    /// `.` for the local store, `/` for the parent (root) domain
    pub domain: String,
    /// A NetInfo path (`/config/AppleMailServer`, `/name=users/uid=501`) or directory id
    pub path: String,
    /// The property key
    pub key: String,
    #[arg(required = true, allow_hyphen_values = true)]
    /// Values, in order
    pub values: Vec<String>,
}

#[derive(Debug, Args)]
pub struct InsertVal {
    /// `.` for the local store, `/` for the parent (root) domain
    pub domain: String,
    /// A NetInfo path (`/config/AppleMailServer`, `/name=users/uid=501`) or directory id
    pub path: String,
    /// The property key
    pub key: String,
    #[arg(allow_hyphen_values = true)]
    /// The value
    pub value: String,
    #[arg(allow_hyphen_values = true)]
    /// A 0-based index into the values
    pub index: String,
}

#[derive(Debug, Args)]
pub struct DestroyProp {
    /// `.` for the local store, `/` for the parent (root) domain
    pub domain: String,
    /// A NetInfo path (`/config/AppleMailServer`, `/name=users/uid=501`) or directory id
    pub path: String,
    #[arg(required = true)]
    /// Property keys
    pub keys: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RenameProp {
    /// `.` for the local store, `/` for the parent (root) domain
    pub domain: String,
    /// A NetInfo path (`/config/AppleMailServer`, `/name=users/uid=501`) or directory id
    pub path: String,
    /// The property's key now
    pub old: String,
    /// Its new key
    pub new: String,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// `.` for the local store, `/` for the parent (root) domain
    pub domain: String,
    /// A NetInfo path (`/config/AppleMailServer`, `/name=users/uid=501`) or directory id
    pub path: String,
    /// List this property's values instead of `name`
    pub key: Option<String>,
}

#[derive(Debug, Args)]
pub struct ReadVal {
    /// `.` for the local store, `/` for the parent (root) domain
    pub domain: String,
    /// A NetInfo path (`/config/AppleMailServer`, `/name=users/uid=501`) or directory id
    pub path: String,
    /// The property key
    pub key: String,
    #[arg(allow_hyphen_values = true)]
    /// A 0-based index into the values
    pub index: String,
}

#[derive(Debug, Args)]
pub struct Nidump {
    /// The subtree to print
    #[arg(short = 'r', value_name = "PATH", required = true)]
    pub raw: String,
    /// `.` for the local store, `/` for the parent (root) domain
    pub domain: String,
}

#[derive(Debug, Args)]
pub struct Niload {
    /// The subtree to replace
    #[arg(short = 'r', value_name = "PATH", required = true)]
    pub raw: String,
    /// Merge into the subtree instead of replacing it
    #[arg(short = 'm')]
    pub merge: bool,
    /// With -m, also delete what the input lacks (matched directories keep their ids)
    #[arg(short = 'd', requires = "merge")]
    pub delete: bool,
    /// `.` for the local store, `/` for the parent (root) domain
    pub domain: String,
}

#[derive(Debug, Subcommand)]
pub enum RelayCommand {
    /// Turn the restriction on (open_relay_addr_flag 1)
    Enable,
    /// Turn the restriction off (open_relay_addr_flag 0); refused when AUTH is off too, unless --force
    Disable,
    /// Trust these hosts (refused with the reason if any entry is malformed, unless --force)
    Add {
        /// Host entries: addresses, networks, ranges, names (see relay-store(5))
        #[arg(required = true, value_name = "ENTRY")]
        entries: Vec<String>,
    },
    /// Stop trusting these hosts (matched as written, or as the same network)
    Remove {
        /// Entries to remove, as written or as the same network in another spelling
        #[arg(required = true, value_name = "ENTRY")]
        entries: Vec<String>,
    },
    /// Print the trusted hosts, one a line
    List,
    /// Print the trusted hosts in import format
    Export,
    /// Read entries from FILE (`-` for standard input): one a line, `#` comments
    Import {
        /// The file to read, or `-` for standard input
        #[arg(value_name = "FILE")]
        file: String,
        /// Make the list exactly the file's entries (default: merge)
        #[arg(long)]
        replace: bool,
        /// Write the good lines even when some are bad
        #[arg(long)]
        skip_invalid: bool,
        /// Print what would change and write nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// May this client relay? Prints the decision and the entry that matched; exit 0 when accepted
    Check {
        /// The client's address
        addr: IpAddr,
        /// Check as a client that authenticated as NAME
        #[arg(long, value_name = "NAME")]
        user: Option<String>,
        /// The recipient (default: one at a remote domain)
        #[arg(long, value_name = "ADDR")]
        rcpt: Option<String>,
        /// The envelope sender, for the outbound path's sender rewrite
        #[arg(long, value_name = "ADDR")]
        from: Option<String>,
        /// The role of the listener the client connects to, as in `listen`
        #[arg(long, value_enum, default_value_t = ListenerRole::Smtp)]
        role: ListenerRole,
    },
}

/// A listener's role (`listen`'s role word), for `relay check --role`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ListenerRole {
    Smtp,
    Submission,
    Smtps,
}

impl From<ListenerRole> for shared::settings::Role {
    fn from(r: ListenerRole) -> Self {
        match r {
            ListenerRole::Smtp => shared::settings::Role::Smtp,
            ListenerRole::Submission => shared::settings::Role::Submission,
            ListenerRole::Smtps => shared::settings::Role::Smtps,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// Require SMTP AUTH of every client not on the list (smtp_auth_flag 1)
    Enable,
    /// Stop requiring it (smtp_auth_flag 0); refused when the restriction is off too, unless --force
    Disable,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user; the password is read from a prompt or the first line of standard input
    Add {
        /// The user name (letters, digits and . _ - @ +)
        name: String,
    },
    /// Change a user's password (read like `add`)
    Passwd {
        /// The user name
        name: String,
    },
    /// Remove a user
    Remove {
        /// The user name
        name: String,
    },
    /// List users and their hash schemes
    List,
}

/// niutil spells verbs with a dash (`-createprop`); clap wants subcommands. Rewrites the
/// first such argument, and nothing after it (values may start with a dash).
pub fn normalize_args(args: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut out = Vec::new();
    let mut done = false;
    for arg in args {
        if !done {
            if let Some(verb) = arg.strip_prefix('-') {
                if NIUTIL_VERBS.contains(&verb) {
                    out.push(verb.to_string());
                    done = true;
                    continue;
                }
            }
            if NIUTIL_VERBS.contains(&arg.as_str()) {
                done = true;
            }
        }
        out.push(arg);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dash_verbs_become_subcommands() {
        let args = |v: &[&str]| normalize_args(v.iter().map(|s| s.to_string()));
        assert_eq!(
            args(&["relayctl", "-createprop", ".", "/x", "k", "-read"]),
            ["relayctl", "createprop", ".", "/x", "k", "-read"]
        );
        assert_eq!(
            args(&["relayctl", "--store", "/s", "-list", ".", "/"]),
            ["relayctl", "--store", "/s", "list", ".", "/"]
        );
        assert_eq!(
            args(&["relayctl", "read", ".", "-destroy"]),
            ["relayctl", "read", ".", "-destroy"]
        );
    }

    #[test]
    fn definitions_are_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
