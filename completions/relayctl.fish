# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_relayctl_global_optspecs
    string join \n store= parent-store= json force wait wait-timeout= h/help V/version
end

function __fish_relayctl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_relayctl_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_relayctl_using_subcommand
    set -l cmd (__fish_relayctl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c relayctl -n "__fish_relayctl_needs_command" -l store -d 'The store folder holding the local domain `.`' -r -F
complete -c relayctl -n "__fish_relayctl_needs_command" -l parent-store -d 'The store folder of the parent domain `/` (without it, the local domain is the root)' -r -F
complete -c relayctl -n "__fish_relayctl_needs_command" -l wait-timeout -d 'Seconds --wait waits' -r
complete -c relayctl -n "__fish_relayctl_needs_command" -l json -d 'Print read results as JSON, for scripts'
complete -c relayctl -n "__fish_relayctl_needs_command" -l force -d 'Write even what relayctl would refuse: host entries that do not parse, a flag that is not 0 or 1, settings that make an open relay'
complete -c relayctl -n "__fish_relayctl_needs_command" -l wait -d 'After a write, return only once the running relayd enforces it (exit 1 if it refuses the new store or does not apply it within --wait-timeout)'
complete -c relayctl -n "__fish_relayctl_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c relayctl -n "__fish_relayctl_needs_command" -s V -l version -d 'Print version'
complete -c relayctl -n "__fish_relayctl_needs_command" -f -a "create" -d 'Make a directory and any missing parents (niutil -create)'
complete -c relayctl -n "__fish_relayctl_needs_command" -f -a "destroy" -d 'Delete a directory and everything below it (niutil -destroy)'
complete -c relayctl -n "__fish_relayctl_needs_command" -f -a "createprop" -d 'Set a property to exactly these values (niutil -createprop)'
complete -c relayctl -n "__fish_relayctl_needs_command" -f -a "appendprop" -d 'Append values to a property, creating it if missing (niutil -appendprop)'
complete -c relayctl -n "__fish_relayctl_needs_command" -f -a "mergeprop" -d 'Append only values not already present (niutil -mergeprop)'
complete -c relayctl -n "__fish_relayctl_needs_command" -f -a "insertval" -d 'Insert one value at an index (niutil -insertval)'
complete -c relayctl -n "__fish_relayctl_needs_command" -f -a "destroyprop" -d 'Remove properties (niutil -destroyprop)'
complete -c relayctl -n "__fish_relayctl_needs_command" -f -a "destroyval" -d 'Remove every occurrence of each value (niutil -destroyval)'
complete -c relayctl -n "__fish_relayctl_needs_command" -f -a "renameprop" -d 'Rename a property (niutil -renameprop)'
complete -c relayctl -n "__fish_relayctl_needs_command" -f -a "read" -d 'Print each property as `key: v1 v2` (niutil -read)'
complete -c relayctl -n "__fish_relayctl_needs_command" -f -a "list" -d 'Print each child as `ID<TAB> name` or its KEY\'s values (niutil -list)'
complete -c relayctl -n "__fish_relayctl_needs_command" -f -a "readprop" -d 'Print a property\'s values, space separated (niutil -readprop)'
complete -c relayctl -n "__fish_relayctl_needs_command" -f -a "readval" -d 'Print one value of a property (niutil -readval)'
complete -c relayctl -n "__fish_relayctl_needs_command" -f -a "domainname" -d 'Print the domain\'s name (niutil -domainname)'
complete -c relayctl -n "__fish_relayctl_needs_command" -f -a "nidump" -d 'Print a subtree in nidump\'s raw format'
complete -c relayctl -n "__fish_relayctl_needs_command" -f -a "niload" -d 'Replace (or with -m merge) a subtree from raw format on standard input'
complete -c relayctl -n "__fish_relayctl_needs_command" -f -a "relay" -d 'The Restricted SMTP Relay: flag, trusted hosts, and what a client may do'
complete -c relayctl -n "__fish_relayctl_needs_command" -f -a "auth" -d 'SMTP AUTH required of every client not on the list (smtp_auth_flag)'
complete -c relayctl -n "__fish_relayctl_needs_command" -f -a "user" -d 'SMTP AUTH users (/users/NAME with an argon2id passwd)'
complete -c relayctl -n "__fish_relayctl_needs_command" -f -a "show" -d 'Every relay setting, explained'
complete -c relayctl -n "__fish_relayctl_needs_command" -f -a "config" -d 'Read and write settings by key, without NetInfo paths (like postconf)'
complete -c relayctl -n "__fish_relayctl_needs_command" -f -a "dkim" -d 'DKIM keys for signing mail relayed to MX hosts'
complete -c relayctl -n "__fish_relayctl_needs_command" -f -a "status" -d 'What the running relayd enforces: serial, counts, last reload, sessions, counters'
complete -c relayctl -n "__fish_relayctl_needs_command" -f -a "queue" -d 'The messages relayd has accepted and not yet delivered'
complete -c relayctl -n "__fish_relayctl_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c relayctl -n "__fish_relayctl_using_subcommand create" -l store -d 'The store folder holding the local domain `.`' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand create" -l parent-store -d 'The store folder of the parent domain `/` (without it, the local domain is the root)' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand create" -l wait-timeout -d 'Seconds --wait waits' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand create" -l json -d 'Print read results as JSON, for scripts'
complete -c relayctl -n "__fish_relayctl_using_subcommand create" -l force -d 'Write even what relayctl would refuse: host entries that do not parse, a flag that is not 0 or 1, settings that make an open relay'
complete -c relayctl -n "__fish_relayctl_using_subcommand create" -l wait -d 'After a write, return only once the running relayd enforces it (exit 1 if it refuses the new store or does not apply it within --wait-timeout)'
complete -c relayctl -n "__fish_relayctl_using_subcommand create" -s h -l help -d 'Print help'
complete -c relayctl -n "__fish_relayctl_using_subcommand destroy" -l store -d 'The store folder holding the local domain `.`' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand destroy" -l parent-store -d 'The store folder of the parent domain `/` (without it, the local domain is the root)' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand destroy" -l wait-timeout -d 'Seconds --wait waits' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand destroy" -l json -d 'Print read results as JSON, for scripts'
complete -c relayctl -n "__fish_relayctl_using_subcommand destroy" -l force -d 'Write even what relayctl would refuse: host entries that do not parse, a flag that is not 0 or 1, settings that make an open relay'
complete -c relayctl -n "__fish_relayctl_using_subcommand destroy" -l wait -d 'After a write, return only once the running relayd enforces it (exit 1 if it refuses the new store or does not apply it within --wait-timeout)'
complete -c relayctl -n "__fish_relayctl_using_subcommand destroy" -s h -l help -d 'Print help'
complete -c relayctl -n "__fish_relayctl_using_subcommand createprop" -l store -d 'The store folder holding the local domain `.`' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand createprop" -l parent-store -d 'The store folder of the parent domain `/` (without it, the local domain is the root)' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand createprop" -l wait-timeout -d 'Seconds --wait waits' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand createprop" -l json -d 'Print read results as JSON, for scripts'
complete -c relayctl -n "__fish_relayctl_using_subcommand createprop" -l force -d 'Write even what relayctl would refuse: host entries that do not parse, a flag that is not 0 or 1, settings that make an open relay'
complete -c relayctl -n "__fish_relayctl_using_subcommand createprop" -l wait -d 'After a write, return only once the running relayd enforces it (exit 1 if it refuses the new store or does not apply it within --wait-timeout)'
complete -c relayctl -n "__fish_relayctl_using_subcommand createprop" -s h -l help -d 'Print help'
complete -c relayctl -n "__fish_relayctl_using_subcommand appendprop" -l store -d 'The store folder holding the local domain `.`' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand appendprop" -l parent-store -d 'The store folder of the parent domain `/` (without it, the local domain is the root)' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand appendprop" -l wait-timeout -d 'Seconds --wait waits' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand appendprop" -l json -d 'Print read results as JSON, for scripts'
complete -c relayctl -n "__fish_relayctl_using_subcommand appendprop" -l force -d 'Write even what relayctl would refuse: host entries that do not parse, a flag that is not 0 or 1, settings that make an open relay'
complete -c relayctl -n "__fish_relayctl_using_subcommand appendprop" -l wait -d 'After a write, return only once the running relayd enforces it (exit 1 if it refuses the new store or does not apply it within --wait-timeout)'
complete -c relayctl -n "__fish_relayctl_using_subcommand appendprop" -s h -l help -d 'Print help'
complete -c relayctl -n "__fish_relayctl_using_subcommand mergeprop" -l store -d 'The store folder holding the local domain `.`' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand mergeprop" -l parent-store -d 'The store folder of the parent domain `/` (without it, the local domain is the root)' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand mergeprop" -l wait-timeout -d 'Seconds --wait waits' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand mergeprop" -l json -d 'Print read results as JSON, for scripts'
complete -c relayctl -n "__fish_relayctl_using_subcommand mergeprop" -l force -d 'Write even what relayctl would refuse: host entries that do not parse, a flag that is not 0 or 1, settings that make an open relay'
complete -c relayctl -n "__fish_relayctl_using_subcommand mergeprop" -l wait -d 'After a write, return only once the running relayd enforces it (exit 1 if it refuses the new store or does not apply it within --wait-timeout)'
complete -c relayctl -n "__fish_relayctl_using_subcommand mergeprop" -s h -l help -d 'Print help'
complete -c relayctl -n "__fish_relayctl_using_subcommand insertval" -l store -d 'The store folder holding the local domain `.`' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand insertval" -l parent-store -d 'The store folder of the parent domain `/` (without it, the local domain is the root)' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand insertval" -l wait-timeout -d 'Seconds --wait waits' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand insertval" -l json -d 'Print read results as JSON, for scripts'
complete -c relayctl -n "__fish_relayctl_using_subcommand insertval" -l force -d 'Write even what relayctl would refuse: host entries that do not parse, a flag that is not 0 or 1, settings that make an open relay'
complete -c relayctl -n "__fish_relayctl_using_subcommand insertval" -l wait -d 'After a write, return only once the running relayd enforces it (exit 1 if it refuses the new store or does not apply it within --wait-timeout)'
complete -c relayctl -n "__fish_relayctl_using_subcommand insertval" -s h -l help -d 'Print help'
complete -c relayctl -n "__fish_relayctl_using_subcommand destroyprop" -l store -d 'The store folder holding the local domain `.`' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand destroyprop" -l parent-store -d 'The store folder of the parent domain `/` (without it, the local domain is the root)' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand destroyprop" -l wait-timeout -d 'Seconds --wait waits' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand destroyprop" -l json -d 'Print read results as JSON, for scripts'
complete -c relayctl -n "__fish_relayctl_using_subcommand destroyprop" -l force -d 'Write even what relayctl would refuse: host entries that do not parse, a flag that is not 0 or 1, settings that make an open relay'
complete -c relayctl -n "__fish_relayctl_using_subcommand destroyprop" -l wait -d 'After a write, return only once the running relayd enforces it (exit 1 if it refuses the new store or does not apply it within --wait-timeout)'
complete -c relayctl -n "__fish_relayctl_using_subcommand destroyprop" -s h -l help -d 'Print help'
complete -c relayctl -n "__fish_relayctl_using_subcommand destroyval" -l store -d 'The store folder holding the local domain `.`' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand destroyval" -l parent-store -d 'The store folder of the parent domain `/` (without it, the local domain is the root)' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand destroyval" -l wait-timeout -d 'Seconds --wait waits' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand destroyval" -l json -d 'Print read results as JSON, for scripts'
complete -c relayctl -n "__fish_relayctl_using_subcommand destroyval" -l force -d 'Write even what relayctl would refuse: host entries that do not parse, a flag that is not 0 or 1, settings that make an open relay'
complete -c relayctl -n "__fish_relayctl_using_subcommand destroyval" -l wait -d 'After a write, return only once the running relayd enforces it (exit 1 if it refuses the new store or does not apply it within --wait-timeout)'
complete -c relayctl -n "__fish_relayctl_using_subcommand destroyval" -s h -l help -d 'Print help'
complete -c relayctl -n "__fish_relayctl_using_subcommand renameprop" -l store -d 'The store folder holding the local domain `.`' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand renameprop" -l parent-store -d 'The store folder of the parent domain `/` (without it, the local domain is the root)' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand renameprop" -l wait-timeout -d 'Seconds --wait waits' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand renameprop" -l json -d 'Print read results as JSON, for scripts'
complete -c relayctl -n "__fish_relayctl_using_subcommand renameprop" -l force -d 'Write even what relayctl would refuse: host entries that do not parse, a flag that is not 0 or 1, settings that make an open relay'
complete -c relayctl -n "__fish_relayctl_using_subcommand renameprop" -l wait -d 'After a write, return only once the running relayd enforces it (exit 1 if it refuses the new store or does not apply it within --wait-timeout)'
complete -c relayctl -n "__fish_relayctl_using_subcommand renameprop" -s h -l help -d 'Print help'
complete -c relayctl -n "__fish_relayctl_using_subcommand read" -l store -d 'The store folder holding the local domain `.`' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand read" -l parent-store -d 'The store folder of the parent domain `/` (without it, the local domain is the root)' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand read" -l wait-timeout -d 'Seconds --wait waits' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand read" -l json -d 'Print read results as JSON, for scripts'
complete -c relayctl -n "__fish_relayctl_using_subcommand read" -l force -d 'Write even what relayctl would refuse: host entries that do not parse, a flag that is not 0 or 1, settings that make an open relay'
complete -c relayctl -n "__fish_relayctl_using_subcommand read" -l wait -d 'After a write, return only once the running relayd enforces it (exit 1 if it refuses the new store or does not apply it within --wait-timeout)'
complete -c relayctl -n "__fish_relayctl_using_subcommand read" -s h -l help -d 'Print help'
complete -c relayctl -n "__fish_relayctl_using_subcommand list" -l store -d 'The store folder holding the local domain `.`' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand list" -l parent-store -d 'The store folder of the parent domain `/` (without it, the local domain is the root)' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand list" -l wait-timeout -d 'Seconds --wait waits' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand list" -l json -d 'Print read results as JSON, for scripts'
complete -c relayctl -n "__fish_relayctl_using_subcommand list" -l force -d 'Write even what relayctl would refuse: host entries that do not parse, a flag that is not 0 or 1, settings that make an open relay'
complete -c relayctl -n "__fish_relayctl_using_subcommand list" -l wait -d 'After a write, return only once the running relayd enforces it (exit 1 if it refuses the new store or does not apply it within --wait-timeout)'
complete -c relayctl -n "__fish_relayctl_using_subcommand list" -s h -l help -d 'Print help'
complete -c relayctl -n "__fish_relayctl_using_subcommand readprop" -l store -d 'The store folder holding the local domain `.`' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand readprop" -l parent-store -d 'The store folder of the parent domain `/` (without it, the local domain is the root)' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand readprop" -l wait-timeout -d 'Seconds --wait waits' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand readprop" -l json -d 'Print read results as JSON, for scripts'
complete -c relayctl -n "__fish_relayctl_using_subcommand readprop" -l force -d 'Write even what relayctl would refuse: host entries that do not parse, a flag that is not 0 or 1, settings that make an open relay'
complete -c relayctl -n "__fish_relayctl_using_subcommand readprop" -l wait -d 'After a write, return only once the running relayd enforces it (exit 1 if it refuses the new store or does not apply it within --wait-timeout)'
complete -c relayctl -n "__fish_relayctl_using_subcommand readprop" -s h -l help -d 'Print help'
complete -c relayctl -n "__fish_relayctl_using_subcommand readval" -l store -d 'The store folder holding the local domain `.`' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand readval" -l parent-store -d 'The store folder of the parent domain `/` (without it, the local domain is the root)' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand readval" -l wait-timeout -d 'Seconds --wait waits' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand readval" -l json -d 'Print read results as JSON, for scripts'
complete -c relayctl -n "__fish_relayctl_using_subcommand readval" -l force -d 'Write even what relayctl would refuse: host entries that do not parse, a flag that is not 0 or 1, settings that make an open relay'
complete -c relayctl -n "__fish_relayctl_using_subcommand readval" -l wait -d 'After a write, return only once the running relayd enforces it (exit 1 if it refuses the new store or does not apply it within --wait-timeout)'
complete -c relayctl -n "__fish_relayctl_using_subcommand readval" -s h -l help -d 'Print help'
complete -c relayctl -n "__fish_relayctl_using_subcommand domainname" -l store -d 'The store folder holding the local domain `.`' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand domainname" -l parent-store -d 'The store folder of the parent domain `/` (without it, the local domain is the root)' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand domainname" -l wait-timeout -d 'Seconds --wait waits' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand domainname" -l json -d 'Print read results as JSON, for scripts'
complete -c relayctl -n "__fish_relayctl_using_subcommand domainname" -l force -d 'Write even what relayctl would refuse: host entries that do not parse, a flag that is not 0 or 1, settings that make an open relay'
complete -c relayctl -n "__fish_relayctl_using_subcommand domainname" -l wait -d 'After a write, return only once the running relayd enforces it (exit 1 if it refuses the new store or does not apply it within --wait-timeout)'
complete -c relayctl -n "__fish_relayctl_using_subcommand domainname" -s h -l help -d 'Print help'
complete -c relayctl -n "__fish_relayctl_using_subcommand nidump" -s r -d 'The subtree to print' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand nidump" -l store -d 'The store folder holding the local domain `.`' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand nidump" -l parent-store -d 'The store folder of the parent domain `/` (without it, the local domain is the root)' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand nidump" -l wait-timeout -d 'Seconds --wait waits' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand nidump" -l json -d 'Print read results as JSON, for scripts'
complete -c relayctl -n "__fish_relayctl_using_subcommand nidump" -l force -d 'Write even what relayctl would refuse: host entries that do not parse, a flag that is not 0 or 1, settings that make an open relay'
complete -c relayctl -n "__fish_relayctl_using_subcommand nidump" -l wait -d 'After a write, return only once the running relayd enforces it (exit 1 if it refuses the new store or does not apply it within --wait-timeout)'
complete -c relayctl -n "__fish_relayctl_using_subcommand nidump" -s h -l help -d 'Print help'
complete -c relayctl -n "__fish_relayctl_using_subcommand niload" -s r -d 'The subtree to replace' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand niload" -l store -d 'The store folder holding the local domain `.`' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand niload" -l parent-store -d 'The store folder of the parent domain `/` (without it, the local domain is the root)' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand niload" -l wait-timeout -d 'Seconds --wait waits' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand niload" -s m -d 'Merge into the subtree instead of replacing it'
complete -c relayctl -n "__fish_relayctl_using_subcommand niload" -s d -d 'With -m, also delete what the input lacks (matched directories keep their ids)'
complete -c relayctl -n "__fish_relayctl_using_subcommand niload" -l json -d 'Print read results as JSON, for scripts'
complete -c relayctl -n "__fish_relayctl_using_subcommand niload" -l force -d 'Write even what relayctl would refuse: host entries that do not parse, a flag that is not 0 or 1, settings that make an open relay'
complete -c relayctl -n "__fish_relayctl_using_subcommand niload" -l wait -d 'After a write, return only once the running relayd enforces it (exit 1 if it refuses the new store or does not apply it within --wait-timeout)'
complete -c relayctl -n "__fish_relayctl_using_subcommand niload" -s h -l help -d 'Print help'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and not __fish_seen_subcommand_from enable disable add remove list export import check help" -l store -d 'The store folder holding the local domain `.`' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and not __fish_seen_subcommand_from enable disable add remove list export import check help" -l parent-store -d 'The store folder of the parent domain `/` (without it, the local domain is the root)' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and not __fish_seen_subcommand_from enable disable add remove list export import check help" -l wait-timeout -d 'Seconds --wait waits' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and not __fish_seen_subcommand_from enable disable add remove list export import check help" -l json -d 'Print read results as JSON, for scripts'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and not __fish_seen_subcommand_from enable disable add remove list export import check help" -l force -d 'Write even what relayctl would refuse: host entries that do not parse, a flag that is not 0 or 1, settings that make an open relay'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and not __fish_seen_subcommand_from enable disable add remove list export import check help" -l wait -d 'After a write, return only once the running relayd enforces it (exit 1 if it refuses the new store or does not apply it within --wait-timeout)'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and not __fish_seen_subcommand_from enable disable add remove list export import check help" -s h -l help -d 'Print help'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and not __fish_seen_subcommand_from enable disable add remove list export import check help" -f -a "enable" -d 'Turn the restriction on (open_relay_addr_flag 1)'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and not __fish_seen_subcommand_from enable disable add remove list export import check help" -f -a "disable" -d 'Turn the restriction off (open_relay_addr_flag 0); refused when AUTH is off too, unless --force'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and not __fish_seen_subcommand_from enable disable add remove list export import check help" -f -a "add" -d 'Trust these hosts (refused with the reason if any entry is malformed, unless --force)'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and not __fish_seen_subcommand_from enable disable add remove list export import check help" -f -a "remove" -d 'Stop trusting these hosts (matched as written, or as the same network)'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and not __fish_seen_subcommand_from enable disable add remove list export import check help" -f -a "list" -d 'Print the trusted hosts, one a line'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and not __fish_seen_subcommand_from enable disable add remove list export import check help" -f -a "export" -d 'Print the trusted hosts in import format'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and not __fish_seen_subcommand_from enable disable add remove list export import check help" -f -a "import" -d 'Read entries from FILE (`-` for standard input): one a line, `#` comments'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and not __fish_seen_subcommand_from enable disable add remove list export import check help" -f -a "check" -d 'May this client relay? Prints the decision and the entry that matched; exit 0 when accepted'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and not __fish_seen_subcommand_from enable disable add remove list export import check help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from enable" -l store -d 'The store folder holding the local domain `.`' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from enable" -l parent-store -d 'The store folder of the parent domain `/` (without it, the local domain is the root)' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from enable" -l wait-timeout -d 'Seconds --wait waits' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from enable" -l json -d 'Print read results as JSON, for scripts'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from enable" -l force -d 'Write even what relayctl would refuse: host entries that do not parse, a flag that is not 0 or 1, settings that make an open relay'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from enable" -l wait -d 'After a write, return only once the running relayd enforces it (exit 1 if it refuses the new store or does not apply it within --wait-timeout)'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from enable" -s h -l help -d 'Print help'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from disable" -l store -d 'The store folder holding the local domain `.`' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from disable" -l parent-store -d 'The store folder of the parent domain `/` (without it, the local domain is the root)' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from disable" -l wait-timeout -d 'Seconds --wait waits' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from disable" -l json -d 'Print read results as JSON, for scripts'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from disable" -l force -d 'Write even what relayctl would refuse: host entries that do not parse, a flag that is not 0 or 1, settings that make an open relay'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from disable" -l wait -d 'After a write, return only once the running relayd enforces it (exit 1 if it refuses the new store or does not apply it within --wait-timeout)'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from disable" -s h -l help -d 'Print help'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from add" -l store -d 'The store folder holding the local domain `.`' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from add" -l parent-store -d 'The store folder of the parent domain `/` (without it, the local domain is the root)' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from add" -l wait-timeout -d 'Seconds --wait waits' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from add" -l json -d 'Print read results as JSON, for scripts'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from add" -l force -d 'Write even what relayctl would refuse: host entries that do not parse, a flag that is not 0 or 1, settings that make an open relay'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from add" -l wait -d 'After a write, return only once the running relayd enforces it (exit 1 if it refuses the new store or does not apply it within --wait-timeout)'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from remove" -l store -d 'The store folder holding the local domain `.`' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from remove" -l parent-store -d 'The store folder of the parent domain `/` (without it, the local domain is the root)' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from remove" -l wait-timeout -d 'Seconds --wait waits' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from remove" -l json -d 'Print read results as JSON, for scripts'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from remove" -l force -d 'Write even what relayctl would refuse: host entries that do not parse, a flag that is not 0 or 1, settings that make an open relay'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from remove" -l wait -d 'After a write, return only once the running relayd enforces it (exit 1 if it refuses the new store or does not apply it within --wait-timeout)'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from list" -l store -d 'The store folder holding the local domain `.`' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from list" -l parent-store -d 'The store folder of the parent domain `/` (without it, the local domain is the root)' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from list" -l wait-timeout -d 'Seconds --wait waits' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from list" -l json -d 'Print read results as JSON, for scripts'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from list" -l force -d 'Write even what relayctl would refuse: host entries that do not parse, a flag that is not 0 or 1, settings that make an open relay'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from list" -l wait -d 'After a write, return only once the running relayd enforces it (exit 1 if it refuses the new store or does not apply it within --wait-timeout)'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from export" -l store -d 'The store folder holding the local domain `.`' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from export" -l parent-store -d 'The store folder of the parent domain `/` (without it, the local domain is the root)' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from export" -l wait-timeout -d 'Seconds --wait waits' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from export" -l json -d 'Print read results as JSON, for scripts'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from export" -l force -d 'Write even what relayctl would refuse: host entries that do not parse, a flag that is not 0 or 1, settings that make an open relay'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from export" -l wait -d 'After a write, return only once the running relayd enforces it (exit 1 if it refuses the new store or does not apply it within --wait-timeout)'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from export" -s h -l help -d 'Print help'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from import" -l store -d 'The store folder holding the local domain `.`' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from import" -l parent-store -d 'The store folder of the parent domain `/` (without it, the local domain is the root)' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from import" -l wait-timeout -d 'Seconds --wait waits' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from import" -l replace -d 'Make the list exactly the file\'s entries (default: merge)'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from import" -l skip-invalid -d 'Write the good lines even when some are bad'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from import" -l dry-run -d 'Print what would change and write nothing'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from import" -l json -d 'Print read results as JSON, for scripts'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from import" -l force -d 'Write even what relayctl would refuse: host entries that do not parse, a flag that is not 0 or 1, settings that make an open relay'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from import" -l wait -d 'After a write, return only once the running relayd enforces it (exit 1 if it refuses the new store or does not apply it within --wait-timeout)'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from import" -s h -l help -d 'Print help'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from check" -l user -d 'Check as a client that authenticated as NAME' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from check" -l rcpt -d 'The recipient (default: one at a remote domain)' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from check" -l from -d 'The envelope sender, for the outbound path\'s sender rewrite' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from check" -l role -d 'The role of the listener the client connects to, as in `listen`' -r -f -a "smtp\t''
submission\t''
smtps\t''"
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from check" -l store -d 'The store folder holding the local domain `.`' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from check" -l parent-store -d 'The store folder of the parent domain `/` (without it, the local domain is the root)' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from check" -l wait-timeout -d 'Seconds --wait waits' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from check" -l json -d 'Print read results as JSON, for scripts'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from check" -l force -d 'Write even what relayctl would refuse: host entries that do not parse, a flag that is not 0 or 1, settings that make an open relay'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from check" -l wait -d 'After a write, return only once the running relayd enforces it (exit 1 if it refuses the new store or does not apply it within --wait-timeout)'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from help" -f -a "enable" -d 'Turn the restriction on (open_relay_addr_flag 1)'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from help" -f -a "disable" -d 'Turn the restriction off (open_relay_addr_flag 0); refused when AUTH is off too, unless --force'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from help" -f -a "add" -d 'Trust these hosts (refused with the reason if any entry is malformed, unless --force)'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from help" -f -a "remove" -d 'Stop trusting these hosts (matched as written, or as the same network)'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from help" -f -a "list" -d 'Print the trusted hosts, one a line'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from help" -f -a "export" -d 'Print the trusted hosts in import format'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from help" -f -a "import" -d 'Read entries from FILE (`-` for standard input): one a line, `#` comments'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from help" -f -a "check" -d 'May this client relay? Prints the decision and the entry that matched; exit 0 when accepted'
complete -c relayctl -n "__fish_relayctl_using_subcommand relay; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c relayctl -n "__fish_relayctl_using_subcommand auth; and not __fish_seen_subcommand_from enable disable help" -l store -d 'The store folder holding the local domain `.`' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand auth; and not __fish_seen_subcommand_from enable disable help" -l parent-store -d 'The store folder of the parent domain `/` (without it, the local domain is the root)' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand auth; and not __fish_seen_subcommand_from enable disable help" -l wait-timeout -d 'Seconds --wait waits' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand auth; and not __fish_seen_subcommand_from enable disable help" -l json -d 'Print read results as JSON, for scripts'
complete -c relayctl -n "__fish_relayctl_using_subcommand auth; and not __fish_seen_subcommand_from enable disable help" -l force -d 'Write even what relayctl would refuse: host entries that do not parse, a flag that is not 0 or 1, settings that make an open relay'
complete -c relayctl -n "__fish_relayctl_using_subcommand auth; and not __fish_seen_subcommand_from enable disable help" -l wait -d 'After a write, return only once the running relayd enforces it (exit 1 if it refuses the new store or does not apply it within --wait-timeout)'
complete -c relayctl -n "__fish_relayctl_using_subcommand auth; and not __fish_seen_subcommand_from enable disable help" -s h -l help -d 'Print help'
complete -c relayctl -n "__fish_relayctl_using_subcommand auth; and not __fish_seen_subcommand_from enable disable help" -f -a "enable" -d 'Require SMTP AUTH of every client not on the list (smtp_auth_flag 1)'
complete -c relayctl -n "__fish_relayctl_using_subcommand auth; and not __fish_seen_subcommand_from enable disable help" -f -a "disable" -d 'Stop requiring it (smtp_auth_flag 0); refused when the restriction is off too, unless --force'
complete -c relayctl -n "__fish_relayctl_using_subcommand auth; and not __fish_seen_subcommand_from enable disable help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c relayctl -n "__fish_relayctl_using_subcommand auth; and __fish_seen_subcommand_from enable" -l store -d 'The store folder holding the local domain `.`' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand auth; and __fish_seen_subcommand_from enable" -l parent-store -d 'The store folder of the parent domain `/` (without it, the local domain is the root)' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand auth; and __fish_seen_subcommand_from enable" -l wait-timeout -d 'Seconds --wait waits' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand auth; and __fish_seen_subcommand_from enable" -l json -d 'Print read results as JSON, for scripts'
complete -c relayctl -n "__fish_relayctl_using_subcommand auth; and __fish_seen_subcommand_from enable" -l force -d 'Write even what relayctl would refuse: host entries that do not parse, a flag that is not 0 or 1, settings that make an open relay'
complete -c relayctl -n "__fish_relayctl_using_subcommand auth; and __fish_seen_subcommand_from enable" -l wait -d 'After a write, return only once the running relayd enforces it (exit 1 if it refuses the new store or does not apply it within --wait-timeout)'
complete -c relayctl -n "__fish_relayctl_using_subcommand auth; and __fish_seen_subcommand_from enable" -s h -l help -d 'Print help'
complete -c relayctl -n "__fish_relayctl_using_subcommand auth; and __fish_seen_subcommand_from disable" -l store -d 'The store folder holding the local domain `.`' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand auth; and __fish_seen_subcommand_from disable" -l parent-store -d 'The store folder of the parent domain `/` (without it, the local domain is the root)' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand auth; and __fish_seen_subcommand_from disable" -l wait-timeout -d 'Seconds --wait waits' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand auth; and __fish_seen_subcommand_from disable" -l json -d 'Print read results as JSON, for scripts'
complete -c relayctl -n "__fish_relayctl_using_subcommand auth; and __fish_seen_subcommand_from disable" -l force -d 'Write even what relayctl would refuse: host entries that do not parse, a flag that is not 0 or 1, settings that make an open relay'
complete -c relayctl -n "__fish_relayctl_using_subcommand auth; and __fish_seen_subcommand_from disable" -l wait -d 'After a write, return only once the running relayd enforces it (exit 1 if it refuses the new store or does not apply it within --wait-timeout)'
complete -c relayctl -n "__fish_relayctl_using_subcommand auth; and __fish_seen_subcommand_from disable" -s h -l help -d 'Print help'
complete -c relayctl -n "__fish_relayctl_using_subcommand auth; and __fish_seen_subcommand_from help" -f -a "enable" -d 'Require SMTP AUTH of every client not on the list (smtp_auth_flag 1)'
complete -c relayctl -n "__fish_relayctl_using_subcommand auth; and __fish_seen_subcommand_from help" -f -a "disable" -d 'Stop requiring it (smtp_auth_flag 0); refused when the restriction is off too, unless --force'
complete -c relayctl -n "__fish_relayctl_using_subcommand auth; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c relayctl -n "__fish_relayctl_using_subcommand user; and not __fish_seen_subcommand_from add passwd remove list help" -l store -d 'The store folder holding the local domain `.`' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand user; and not __fish_seen_subcommand_from add passwd remove list help" -l parent-store -d 'The store folder of the parent domain `/` (without it, the local domain is the root)' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand user; and not __fish_seen_subcommand_from add passwd remove list help" -l wait-timeout -d 'Seconds --wait waits' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand user; and not __fish_seen_subcommand_from add passwd remove list help" -l json -d 'Print read results as JSON, for scripts'
complete -c relayctl -n "__fish_relayctl_using_subcommand user; and not __fish_seen_subcommand_from add passwd remove list help" -l force -d 'Write even what relayctl would refuse: host entries that do not parse, a flag that is not 0 or 1, settings that make an open relay'
complete -c relayctl -n "__fish_relayctl_using_subcommand user; and not __fish_seen_subcommand_from add passwd remove list help" -l wait -d 'After a write, return only once the running relayd enforces it (exit 1 if it refuses the new store or does not apply it within --wait-timeout)'
complete -c relayctl -n "__fish_relayctl_using_subcommand user; and not __fish_seen_subcommand_from add passwd remove list help" -s h -l help -d 'Print help'
complete -c relayctl -n "__fish_relayctl_using_subcommand user; and not __fish_seen_subcommand_from add passwd remove list help" -f -a "add" -d 'Add a user; the password is read from a prompt or the first line of standard input'
complete -c relayctl -n "__fish_relayctl_using_subcommand user; and not __fish_seen_subcommand_from add passwd remove list help" -f -a "passwd" -d 'Change a user\'s password (read like `add`)'
complete -c relayctl -n "__fish_relayctl_using_subcommand user; and not __fish_seen_subcommand_from add passwd remove list help" -f -a "remove" -d 'Remove a user'
complete -c relayctl -n "__fish_relayctl_using_subcommand user; and not __fish_seen_subcommand_from add passwd remove list help" -f -a "list" -d 'List users and their hash schemes'
complete -c relayctl -n "__fish_relayctl_using_subcommand user; and not __fish_seen_subcommand_from add passwd remove list help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c relayctl -n "__fish_relayctl_using_subcommand user; and __fish_seen_subcommand_from add" -l store -d 'The store folder holding the local domain `.`' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand user; and __fish_seen_subcommand_from add" -l parent-store -d 'The store folder of the parent domain `/` (without it, the local domain is the root)' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand user; and __fish_seen_subcommand_from add" -l wait-timeout -d 'Seconds --wait waits' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand user; and __fish_seen_subcommand_from add" -l json -d 'Print read results as JSON, for scripts'
complete -c relayctl -n "__fish_relayctl_using_subcommand user; and __fish_seen_subcommand_from add" -l force -d 'Write even what relayctl would refuse: host entries that do not parse, a flag that is not 0 or 1, settings that make an open relay'
complete -c relayctl -n "__fish_relayctl_using_subcommand user; and __fish_seen_subcommand_from add" -l wait -d 'After a write, return only once the running relayd enforces it (exit 1 if it refuses the new store or does not apply it within --wait-timeout)'
complete -c relayctl -n "__fish_relayctl_using_subcommand user; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help'
complete -c relayctl -n "__fish_relayctl_using_subcommand user; and __fish_seen_subcommand_from passwd" -l store -d 'The store folder holding the local domain `.`' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand user; and __fish_seen_subcommand_from passwd" -l parent-store -d 'The store folder of the parent domain `/` (without it, the local domain is the root)' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand user; and __fish_seen_subcommand_from passwd" -l wait-timeout -d 'Seconds --wait waits' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand user; and __fish_seen_subcommand_from passwd" -l json -d 'Print read results as JSON, for scripts'
complete -c relayctl -n "__fish_relayctl_using_subcommand user; and __fish_seen_subcommand_from passwd" -l force -d 'Write even what relayctl would refuse: host entries that do not parse, a flag that is not 0 or 1, settings that make an open relay'
complete -c relayctl -n "__fish_relayctl_using_subcommand user; and __fish_seen_subcommand_from passwd" -l wait -d 'After a write, return only once the running relayd enforces it (exit 1 if it refuses the new store or does not apply it within --wait-timeout)'
complete -c relayctl -n "__fish_relayctl_using_subcommand user; and __fish_seen_subcommand_from passwd" -s h -l help -d 'Print help'
complete -c relayctl -n "__fish_relayctl_using_subcommand user; and __fish_seen_subcommand_from remove" -l store -d 'The store folder holding the local domain `.`' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand user; and __fish_seen_subcommand_from remove" -l parent-store -d 'The store folder of the parent domain `/` (without it, the local domain is the root)' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand user; and __fish_seen_subcommand_from remove" -l wait-timeout -d 'Seconds --wait waits' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand user; and __fish_seen_subcommand_from remove" -l json -d 'Print read results as JSON, for scripts'
complete -c relayctl -n "__fish_relayctl_using_subcommand user; and __fish_seen_subcommand_from remove" -l force -d 'Write even what relayctl would refuse: host entries that do not parse, a flag that is not 0 or 1, settings that make an open relay'
complete -c relayctl -n "__fish_relayctl_using_subcommand user; and __fish_seen_subcommand_from remove" -l wait -d 'After a write, return only once the running relayd enforces it (exit 1 if it refuses the new store or does not apply it within --wait-timeout)'
complete -c relayctl -n "__fish_relayctl_using_subcommand user; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help'
complete -c relayctl -n "__fish_relayctl_using_subcommand user; and __fish_seen_subcommand_from list" -l store -d 'The store folder holding the local domain `.`' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand user; and __fish_seen_subcommand_from list" -l parent-store -d 'The store folder of the parent domain `/` (without it, the local domain is the root)' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand user; and __fish_seen_subcommand_from list" -l wait-timeout -d 'Seconds --wait waits' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand user; and __fish_seen_subcommand_from list" -l json -d 'Print read results as JSON, for scripts'
complete -c relayctl -n "__fish_relayctl_using_subcommand user; and __fish_seen_subcommand_from list" -l force -d 'Write even what relayctl would refuse: host entries that do not parse, a flag that is not 0 or 1, settings that make an open relay'
complete -c relayctl -n "__fish_relayctl_using_subcommand user; and __fish_seen_subcommand_from list" -l wait -d 'After a write, return only once the running relayd enforces it (exit 1 if it refuses the new store or does not apply it within --wait-timeout)'
complete -c relayctl -n "__fish_relayctl_using_subcommand user; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c relayctl -n "__fish_relayctl_using_subcommand user; and __fish_seen_subcommand_from help" -f -a "add" -d 'Add a user; the password is read from a prompt or the first line of standard input'
complete -c relayctl -n "__fish_relayctl_using_subcommand user; and __fish_seen_subcommand_from help" -f -a "passwd" -d 'Change a user\'s password (read like `add`)'
complete -c relayctl -n "__fish_relayctl_using_subcommand user; and __fish_seen_subcommand_from help" -f -a "remove" -d 'Remove a user'
complete -c relayctl -n "__fish_relayctl_using_subcommand user; and __fish_seen_subcommand_from help" -f -a "list" -d 'List users and their hash schemes'
complete -c relayctl -n "__fish_relayctl_using_subcommand user; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c relayctl -n "__fish_relayctl_using_subcommand show" -l store -d 'The store folder holding the local domain `.`' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand show" -l parent-store -d 'The store folder of the parent domain `/` (without it, the local domain is the root)' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand show" -l wait-timeout -d 'Seconds --wait waits' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand show" -l json -d 'Print read results as JSON, for scripts'
complete -c relayctl -n "__fish_relayctl_using_subcommand show" -l force -d 'Write even what relayctl would refuse: host entries that do not parse, a flag that is not 0 or 1, settings that make an open relay'
complete -c relayctl -n "__fish_relayctl_using_subcommand show" -l wait -d 'After a write, return only once the running relayd enforces it (exit 1 if it refuses the new store or does not apply it within --wait-timeout)'
complete -c relayctl -n "__fish_relayctl_using_subcommand show" -s h -l help -d 'Print help'
complete -c relayctl -n "__fish_relayctl_using_subcommand config; and not __fish_seen_subcommand_from get set unset help" -l store -d 'The store folder holding the local domain `.`' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand config; and not __fish_seen_subcommand_from get set unset help" -l parent-store -d 'The store folder of the parent domain `/` (without it, the local domain is the root)' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand config; and not __fish_seen_subcommand_from get set unset help" -l wait-timeout -d 'Seconds --wait waits' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand config; and not __fish_seen_subcommand_from get set unset help" -l json -d 'Print read results as JSON, for scripts'
complete -c relayctl -n "__fish_relayctl_using_subcommand config; and not __fish_seen_subcommand_from get set unset help" -l force -d 'Write even what relayctl would refuse: host entries that do not parse, a flag that is not 0 or 1, settings that make an open relay'
complete -c relayctl -n "__fish_relayctl_using_subcommand config; and not __fish_seen_subcommand_from get set unset help" -l wait -d 'After a write, return only once the running relayd enforces it (exit 1 if it refuses the new store or does not apply it within --wait-timeout)'
complete -c relayctl -n "__fish_relayctl_using_subcommand config; and not __fish_seen_subcommand_from get set unset help" -s h -l help -d 'Print help'
complete -c relayctl -n "__fish_relayctl_using_subcommand config; and not __fish_seen_subcommand_from get set unset help" -f -a "get" -d 'Print each KEY (every key when none is given) as `key = values`, marking defaults'
complete -c relayctl -n "__fish_relayctl_using_subcommand config; and not __fish_seen_subcommand_from get set unset help" -f -a "set" -d 'Set KEY to exactly these values, checked as relayd would read them; creates /config/relayd when it is missing'
complete -c relayctl -n "__fish_relayctl_using_subcommand config; and not __fish_seen_subcommand_from get set unset help" -f -a "unset" -d 'Remove keys from the store, so that their defaults apply'
complete -c relayctl -n "__fish_relayctl_using_subcommand config; and not __fish_seen_subcommand_from get set unset help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c relayctl -n "__fish_relayctl_using_subcommand config; and __fish_seen_subcommand_from get" -l store -d 'The store folder holding the local domain `.`' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand config; and __fish_seen_subcommand_from get" -l parent-store -d 'The store folder of the parent domain `/` (without it, the local domain is the root)' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand config; and __fish_seen_subcommand_from get" -l wait-timeout -d 'Seconds --wait waits' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand config; and __fish_seen_subcommand_from get" -l json -d 'Print read results as JSON, for scripts'
complete -c relayctl -n "__fish_relayctl_using_subcommand config; and __fish_seen_subcommand_from get" -l force -d 'Write even what relayctl would refuse: host entries that do not parse, a flag that is not 0 or 1, settings that make an open relay'
complete -c relayctl -n "__fish_relayctl_using_subcommand config; and __fish_seen_subcommand_from get" -l wait -d 'After a write, return only once the running relayd enforces it (exit 1 if it refuses the new store or does not apply it within --wait-timeout)'
complete -c relayctl -n "__fish_relayctl_using_subcommand config; and __fish_seen_subcommand_from get" -s h -l help -d 'Print help'
complete -c relayctl -n "__fish_relayctl_using_subcommand config; and __fish_seen_subcommand_from set" -l store -d 'The store folder holding the local domain `.`' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand config; and __fish_seen_subcommand_from set" -l parent-store -d 'The store folder of the parent domain `/` (without it, the local domain is the root)' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand config; and __fish_seen_subcommand_from set" -l wait-timeout -d 'Seconds --wait waits' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand config; and __fish_seen_subcommand_from set" -l json -d 'Print read results as JSON, for scripts'
complete -c relayctl -n "__fish_relayctl_using_subcommand config; and __fish_seen_subcommand_from set" -l force -d 'Write even what relayctl would refuse: host entries that do not parse, a flag that is not 0 or 1, settings that make an open relay'
complete -c relayctl -n "__fish_relayctl_using_subcommand config; and __fish_seen_subcommand_from set" -l wait -d 'After a write, return only once the running relayd enforces it (exit 1 if it refuses the new store or does not apply it within --wait-timeout)'
complete -c relayctl -n "__fish_relayctl_using_subcommand config; and __fish_seen_subcommand_from set" -s h -l help -d 'Print help'
complete -c relayctl -n "__fish_relayctl_using_subcommand config; and __fish_seen_subcommand_from unset" -l store -d 'The store folder holding the local domain `.`' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand config; and __fish_seen_subcommand_from unset" -l parent-store -d 'The store folder of the parent domain `/` (without it, the local domain is the root)' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand config; and __fish_seen_subcommand_from unset" -l wait-timeout -d 'Seconds --wait waits' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand config; and __fish_seen_subcommand_from unset" -l json -d 'Print read results as JSON, for scripts'
complete -c relayctl -n "__fish_relayctl_using_subcommand config; and __fish_seen_subcommand_from unset" -l force -d 'Write even what relayctl would refuse: host entries that do not parse, a flag that is not 0 or 1, settings that make an open relay'
complete -c relayctl -n "__fish_relayctl_using_subcommand config; and __fish_seen_subcommand_from unset" -l wait -d 'After a write, return only once the running relayd enforces it (exit 1 if it refuses the new store or does not apply it within --wait-timeout)'
complete -c relayctl -n "__fish_relayctl_using_subcommand config; and __fish_seen_subcommand_from unset" -s h -l help -d 'Print help'
complete -c relayctl -n "__fish_relayctl_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "get" -d 'Print each KEY (every key when none is given) as `key = values`, marking defaults'
complete -c relayctl -n "__fish_relayctl_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "set" -d 'Set KEY to exactly these values, checked as relayd would read them; creates /config/relayd when it is missing'
complete -c relayctl -n "__fish_relayctl_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "unset" -d 'Remove keys from the store, so that their defaults apply'
complete -c relayctl -n "__fish_relayctl_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c relayctl -n "__fish_relayctl_using_subcommand dkim; and not __fish_seen_subcommand_from keygen enable disable help" -l store -d 'The store folder holding the local domain `.`' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand dkim; and not __fish_seen_subcommand_from keygen enable disable help" -l parent-store -d 'The store folder of the parent domain `/` (without it, the local domain is the root)' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand dkim; and not __fish_seen_subcommand_from keygen enable disable help" -l wait-timeout -d 'Seconds --wait waits' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand dkim; and not __fish_seen_subcommand_from keygen enable disable help" -l json -d 'Print read results as JSON, for scripts'
complete -c relayctl -n "__fish_relayctl_using_subcommand dkim; and not __fish_seen_subcommand_from keygen enable disable help" -l force -d 'Write even what relayctl would refuse: host entries that do not parse, a flag that is not 0 or 1, settings that make an open relay'
complete -c relayctl -n "__fish_relayctl_using_subcommand dkim; and not __fish_seen_subcommand_from keygen enable disable help" -l wait -d 'After a write, return only once the running relayd enforces it (exit 1 if it refuses the new store or does not apply it within --wait-timeout)'
complete -c relayctl -n "__fish_relayctl_using_subcommand dkim; and not __fish_seen_subcommand_from keygen enable disable help" -s h -l help -d 'Print help'
complete -c relayctl -n "__fish_relayctl_using_subcommand dkim; and not __fish_seen_subcommand_from keygen enable disable help" -f -a "keygen" -d 'Write a new private key and print the DNS TXT record to publish (signing is turned on afterwards, with the config commands it prints)'
complete -c relayctl -n "__fish_relayctl_using_subcommand dkim; and not __fish_seen_subcommand_from keygen enable disable help" -f -a "enable" -d 'Sign mail to MX hosts with this key from now on (dkim_domain, dkim_selector and dkim_key in one write, after checking the key loads)'
complete -c relayctl -n "__fish_relayctl_using_subcommand dkim; and not __fish_seen_subcommand_from keygen enable disable help" -f -a "disable" -d 'Stop signing (removes the three keys)'
complete -c relayctl -n "__fish_relayctl_using_subcommand dkim; and not __fish_seen_subcommand_from keygen enable disable help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c relayctl -n "__fish_relayctl_using_subcommand dkim; and __fish_seen_subcommand_from keygen" -l domain -d 'The signing domain (d=)' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand dkim; and __fish_seen_subcommand_from keygen" -l selector -d 'The selector (s=): the record goes at SELECTOR._domainkey.DOMAIN' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand dkim; and __fish_seen_subcommand_from keygen" -l algorithm -d 'rsa (rsa-sha256, the one every verifier knows) or ed25519 (ed25519-sha256)' -r -f -a "rsa\t''
ed25519\t''"
complete -c relayctl -n "__fish_relayctl_using_subcommand dkim; and __fish_seen_subcommand_from keygen" -l bits -d 'RSA key size' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand dkim; and __fish_seen_subcommand_from keygen" -l out -d 'Where to write the key (default: STORE/dkim-SELECTOR.key)' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand dkim; and __fish_seen_subcommand_from keygen" -l store -d 'The store folder holding the local domain `.`' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand dkim; and __fish_seen_subcommand_from keygen" -l parent-store -d 'The store folder of the parent domain `/` (without it, the local domain is the root)' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand dkim; and __fish_seen_subcommand_from keygen" -l wait-timeout -d 'Seconds --wait waits' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand dkim; and __fish_seen_subcommand_from keygen" -l json -d 'Print read results as JSON, for scripts'
complete -c relayctl -n "__fish_relayctl_using_subcommand dkim; and __fish_seen_subcommand_from keygen" -l force -d 'Write even what relayctl would refuse: host entries that do not parse, a flag that is not 0 or 1, settings that make an open relay'
complete -c relayctl -n "__fish_relayctl_using_subcommand dkim; and __fish_seen_subcommand_from keygen" -l wait -d 'After a write, return only once the running relayd enforces it (exit 1 if it refuses the new store or does not apply it within --wait-timeout)'
complete -c relayctl -n "__fish_relayctl_using_subcommand dkim; and __fish_seen_subcommand_from keygen" -s h -l help -d 'Print help'
complete -c relayctl -n "__fish_relayctl_using_subcommand dkim; and __fish_seen_subcommand_from enable" -l domain -d 'The signing domain (d=)' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand dkim; and __fish_seen_subcommand_from enable" -l selector -d 'The selector (s=)' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand dkim; and __fish_seen_subcommand_from enable" -l key -d 'The PEM private key' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand dkim; and __fish_seen_subcommand_from enable" -l store -d 'The store folder holding the local domain `.`' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand dkim; and __fish_seen_subcommand_from enable" -l parent-store -d 'The store folder of the parent domain `/` (without it, the local domain is the root)' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand dkim; and __fish_seen_subcommand_from enable" -l wait-timeout -d 'Seconds --wait waits' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand dkim; and __fish_seen_subcommand_from enable" -l json -d 'Print read results as JSON, for scripts'
complete -c relayctl -n "__fish_relayctl_using_subcommand dkim; and __fish_seen_subcommand_from enable" -l force -d 'Write even what relayctl would refuse: host entries that do not parse, a flag that is not 0 or 1, settings that make an open relay'
complete -c relayctl -n "__fish_relayctl_using_subcommand dkim; and __fish_seen_subcommand_from enable" -l wait -d 'After a write, return only once the running relayd enforces it (exit 1 if it refuses the new store or does not apply it within --wait-timeout)'
complete -c relayctl -n "__fish_relayctl_using_subcommand dkim; and __fish_seen_subcommand_from enable" -s h -l help -d 'Print help'
complete -c relayctl -n "__fish_relayctl_using_subcommand dkim; and __fish_seen_subcommand_from disable" -l store -d 'The store folder holding the local domain `.`' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand dkim; and __fish_seen_subcommand_from disable" -l parent-store -d 'The store folder of the parent domain `/` (without it, the local domain is the root)' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand dkim; and __fish_seen_subcommand_from disable" -l wait-timeout -d 'Seconds --wait waits' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand dkim; and __fish_seen_subcommand_from disable" -l json -d 'Print read results as JSON, for scripts'
complete -c relayctl -n "__fish_relayctl_using_subcommand dkim; and __fish_seen_subcommand_from disable" -l force -d 'Write even what relayctl would refuse: host entries that do not parse, a flag that is not 0 or 1, settings that make an open relay'
complete -c relayctl -n "__fish_relayctl_using_subcommand dkim; and __fish_seen_subcommand_from disable" -l wait -d 'After a write, return only once the running relayd enforces it (exit 1 if it refuses the new store or does not apply it within --wait-timeout)'
complete -c relayctl -n "__fish_relayctl_using_subcommand dkim; and __fish_seen_subcommand_from disable" -s h -l help -d 'Print help'
complete -c relayctl -n "__fish_relayctl_using_subcommand dkim; and __fish_seen_subcommand_from help" -f -a "keygen" -d 'Write a new private key and print the DNS TXT record to publish (signing is turned on afterwards, with the config commands it prints)'
complete -c relayctl -n "__fish_relayctl_using_subcommand dkim; and __fish_seen_subcommand_from help" -f -a "enable" -d 'Sign mail to MX hosts with this key from now on (dkim_domain, dkim_selector and dkim_key in one write, after checking the key loads)'
complete -c relayctl -n "__fish_relayctl_using_subcommand dkim; and __fish_seen_subcommand_from help" -f -a "disable" -d 'Stop signing (removes the three keys)'
complete -c relayctl -n "__fish_relayctl_using_subcommand dkim; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c relayctl -n "__fish_relayctl_using_subcommand status" -l store -d 'The store folder holding the local domain `.`' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand status" -l parent-store -d 'The store folder of the parent domain `/` (without it, the local domain is the root)' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand status" -l wait-timeout -d 'Seconds --wait waits' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand status" -l json -d 'Print read results as JSON, for scripts'
complete -c relayctl -n "__fish_relayctl_using_subcommand status" -l force -d 'Write even what relayctl would refuse: host entries that do not parse, a flag that is not 0 or 1, settings that make an open relay'
complete -c relayctl -n "__fish_relayctl_using_subcommand status" -l wait -d 'After a write, return only once the running relayd enforces it (exit 1 if it refuses the new store or does not apply it within --wait-timeout)'
complete -c relayctl -n "__fish_relayctl_using_subcommand status" -s h -l help -d 'Print help'
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and not __fish_seen_subcommand_from list show flush hold release delete help" -l store -d 'The store folder holding the local domain `.`' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and not __fish_seen_subcommand_from list show flush hold release delete help" -l parent-store -d 'The store folder of the parent domain `/` (without it, the local domain is the root)' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and not __fish_seen_subcommand_from list show flush hold release delete help" -l wait-timeout -d 'Seconds --wait waits' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and not __fish_seen_subcommand_from list show flush hold release delete help" -l json -d 'Print read results as JSON, for scripts'
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and not __fish_seen_subcommand_from list show flush hold release delete help" -l force -d 'Write even what relayctl would refuse: host entries that do not parse, a flag that is not 0 or 1, settings that make an open relay'
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and not __fish_seen_subcommand_from list show flush hold release delete help" -l wait -d 'After a write, return only once the running relayd enforces it (exit 1 if it refuses the new store or does not apply it within --wait-timeout)'
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and not __fish_seen_subcommand_from list show flush hold release delete help" -s h -l help -d 'Print help'
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and not __fish_seen_subcommand_from list show flush hold release delete help" -f -a "list" -d 'List queued messages with each recipient\'s state, attempts, last reply and next retry'
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and not __fish_seen_subcommand_from list show flush hold release delete help" -f -a "show" -d 'One queued message: its envelope, each recipient\'s state, and its headers'
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and not __fish_seen_subcommand_from list show flush hold release delete help" -f -a "flush" -d 'Try every queued message now, or only ID (asks the running relayd)'
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and not __fish_seen_subcommand_from list show flush hold release delete help" -f -a "hold" -d 'Keep ID queued without delivering it until it is released'
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and not __fish_seen_subcommand_from list show flush hold release delete help" -f -a "release" -d 'Deliver a held message again'
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and not __fish_seen_subcommand_from list show flush hold release delete help" -f -a "delete" -d 'Remove ID from the queue without delivering it or bouncing it'
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and not __fish_seen_subcommand_from list show flush hold release delete help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and __fish_seen_subcommand_from list" -l store -d 'The store folder holding the local domain `.`' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and __fish_seen_subcommand_from list" -l parent-store -d 'The store folder of the parent domain `/` (without it, the local domain is the root)' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and __fish_seen_subcommand_from list" -l wait-timeout -d 'Seconds --wait waits' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and __fish_seen_subcommand_from list" -l json -d 'Print read results as JSON, for scripts'
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and __fish_seen_subcommand_from list" -l force -d 'Write even what relayctl would refuse: host entries that do not parse, a flag that is not 0 or 1, settings that make an open relay'
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and __fish_seen_subcommand_from list" -l wait -d 'After a write, return only once the running relayd enforces it (exit 1 if it refuses the new store or does not apply it within --wait-timeout)'
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and __fish_seen_subcommand_from show" -l store -d 'The store folder holding the local domain `.`' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and __fish_seen_subcommand_from show" -l parent-store -d 'The store folder of the parent domain `/` (without it, the local domain is the root)' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and __fish_seen_subcommand_from show" -l wait-timeout -d 'Seconds --wait waits' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and __fish_seen_subcommand_from show" -l json -d 'Print read results as JSON, for scripts'
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and __fish_seen_subcommand_from show" -l force -d 'Write even what relayctl would refuse: host entries that do not parse, a flag that is not 0 or 1, settings that make an open relay'
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and __fish_seen_subcommand_from show" -l wait -d 'After a write, return only once the running relayd enforces it (exit 1 if it refuses the new store or does not apply it within --wait-timeout)'
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and __fish_seen_subcommand_from flush" -l store -d 'The store folder holding the local domain `.`' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and __fish_seen_subcommand_from flush" -l parent-store -d 'The store folder of the parent domain `/` (without it, the local domain is the root)' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and __fish_seen_subcommand_from flush" -l wait-timeout -d 'Seconds --wait waits' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and __fish_seen_subcommand_from flush" -l json -d 'Print read results as JSON, for scripts'
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and __fish_seen_subcommand_from flush" -l force -d 'Write even what relayctl would refuse: host entries that do not parse, a flag that is not 0 or 1, settings that make an open relay'
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and __fish_seen_subcommand_from flush" -l wait -d 'After a write, return only once the running relayd enforces it (exit 1 if it refuses the new store or does not apply it within --wait-timeout)'
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and __fish_seen_subcommand_from flush" -s h -l help -d 'Print help'
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and __fish_seen_subcommand_from hold" -l store -d 'The store folder holding the local domain `.`' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and __fish_seen_subcommand_from hold" -l parent-store -d 'The store folder of the parent domain `/` (without it, the local domain is the root)' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and __fish_seen_subcommand_from hold" -l wait-timeout -d 'Seconds --wait waits' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and __fish_seen_subcommand_from hold" -l json -d 'Print read results as JSON, for scripts'
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and __fish_seen_subcommand_from hold" -l force -d 'Write even what relayctl would refuse: host entries that do not parse, a flag that is not 0 or 1, settings that make an open relay'
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and __fish_seen_subcommand_from hold" -l wait -d 'After a write, return only once the running relayd enforces it (exit 1 if it refuses the new store or does not apply it within --wait-timeout)'
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and __fish_seen_subcommand_from hold" -s h -l help -d 'Print help'
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and __fish_seen_subcommand_from release" -l store -d 'The store folder holding the local domain `.`' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and __fish_seen_subcommand_from release" -l parent-store -d 'The store folder of the parent domain `/` (without it, the local domain is the root)' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and __fish_seen_subcommand_from release" -l wait-timeout -d 'Seconds --wait waits' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and __fish_seen_subcommand_from release" -l json -d 'Print read results as JSON, for scripts'
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and __fish_seen_subcommand_from release" -l force -d 'Write even what relayctl would refuse: host entries that do not parse, a flag that is not 0 or 1, settings that make an open relay'
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and __fish_seen_subcommand_from release" -l wait -d 'After a write, return only once the running relayd enforces it (exit 1 if it refuses the new store or does not apply it within --wait-timeout)'
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and __fish_seen_subcommand_from release" -s h -l help -d 'Print help'
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and __fish_seen_subcommand_from delete" -l store -d 'The store folder holding the local domain `.`' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and __fish_seen_subcommand_from delete" -l parent-store -d 'The store folder of the parent domain `/` (without it, the local domain is the root)' -r -F
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and __fish_seen_subcommand_from delete" -l wait-timeout -d 'Seconds --wait waits' -r
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and __fish_seen_subcommand_from delete" -l json -d 'Print read results as JSON, for scripts'
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and __fish_seen_subcommand_from delete" -l force -d 'Write even what relayctl would refuse: host entries that do not parse, a flag that is not 0 or 1, settings that make an open relay'
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and __fish_seen_subcommand_from delete" -l wait -d 'After a write, return only once the running relayd enforces it (exit 1 if it refuses the new store or does not apply it within --wait-timeout)'
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and __fish_seen_subcommand_from delete" -s h -l help -d 'Print help'
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and __fish_seen_subcommand_from help" -f -a "list" -d 'List queued messages with each recipient\'s state, attempts, last reply and next retry'
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and __fish_seen_subcommand_from help" -f -a "show" -d 'One queued message: its envelope, each recipient\'s state, and its headers'
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and __fish_seen_subcommand_from help" -f -a "flush" -d 'Try every queued message now, or only ID (asks the running relayd)'
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and __fish_seen_subcommand_from help" -f -a "hold" -d 'Keep ID queued without delivering it until it is released'
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and __fish_seen_subcommand_from help" -f -a "release" -d 'Deliver a held message again'
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and __fish_seen_subcommand_from help" -f -a "delete" -d 'Remove ID from the queue without delivering it or bouncing it'
complete -c relayctl -n "__fish_relayctl_using_subcommand queue; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c relayctl -n "__fish_relayctl_using_subcommand help; and not __fish_seen_subcommand_from create destroy createprop appendprop mergeprop insertval destroyprop destroyval renameprop read list readprop readval domainname nidump niload relay auth user show config dkim status queue help" -f -a "create" -d 'Make a directory and any missing parents (niutil -create)'
complete -c relayctl -n "__fish_relayctl_using_subcommand help; and not __fish_seen_subcommand_from create destroy createprop appendprop mergeprop insertval destroyprop destroyval renameprop read list readprop readval domainname nidump niload relay auth user show config dkim status queue help" -f -a "destroy" -d 'Delete a directory and everything below it (niutil -destroy)'
complete -c relayctl -n "__fish_relayctl_using_subcommand help; and not __fish_seen_subcommand_from create destroy createprop appendprop mergeprop insertval destroyprop destroyval renameprop read list readprop readval domainname nidump niload relay auth user show config dkim status queue help" -f -a "createprop" -d 'Set a property to exactly these values (niutil -createprop)'
complete -c relayctl -n "__fish_relayctl_using_subcommand help; and not __fish_seen_subcommand_from create destroy createprop appendprop mergeprop insertval destroyprop destroyval renameprop read list readprop readval domainname nidump niload relay auth user show config dkim status queue help" -f -a "appendprop" -d 'Append values to a property, creating it if missing (niutil -appendprop)'
complete -c relayctl -n "__fish_relayctl_using_subcommand help; and not __fish_seen_subcommand_from create destroy createprop appendprop mergeprop insertval destroyprop destroyval renameprop read list readprop readval domainname nidump niload relay auth user show config dkim status queue help" -f -a "mergeprop" -d 'Append only values not already present (niutil -mergeprop)'
complete -c relayctl -n "__fish_relayctl_using_subcommand help; and not __fish_seen_subcommand_from create destroy createprop appendprop mergeprop insertval destroyprop destroyval renameprop read list readprop readval domainname nidump niload relay auth user show config dkim status queue help" -f -a "insertval" -d 'Insert one value at an index (niutil -insertval)'
complete -c relayctl -n "__fish_relayctl_using_subcommand help; and not __fish_seen_subcommand_from create destroy createprop appendprop mergeprop insertval destroyprop destroyval renameprop read list readprop readval domainname nidump niload relay auth user show config dkim status queue help" -f -a "destroyprop" -d 'Remove properties (niutil -destroyprop)'
complete -c relayctl -n "__fish_relayctl_using_subcommand help; and not __fish_seen_subcommand_from create destroy createprop appendprop mergeprop insertval destroyprop destroyval renameprop read list readprop readval domainname nidump niload relay auth user show config dkim status queue help" -f -a "destroyval" -d 'Remove every occurrence of each value (niutil -destroyval)'
complete -c relayctl -n "__fish_relayctl_using_subcommand help; and not __fish_seen_subcommand_from create destroy createprop appendprop mergeprop insertval destroyprop destroyval renameprop read list readprop readval domainname nidump niload relay auth user show config dkim status queue help" -f -a "renameprop" -d 'Rename a property (niutil -renameprop)'
complete -c relayctl -n "__fish_relayctl_using_subcommand help; and not __fish_seen_subcommand_from create destroy createprop appendprop mergeprop insertval destroyprop destroyval renameprop read list readprop readval domainname nidump niload relay auth user show config dkim status queue help" -f -a "read" -d 'Print each property as `key: v1 v2` (niutil -read)'
complete -c relayctl -n "__fish_relayctl_using_subcommand help; and not __fish_seen_subcommand_from create destroy createprop appendprop mergeprop insertval destroyprop destroyval renameprop read list readprop readval domainname nidump niload relay auth user show config dkim status queue help" -f -a "list" -d 'Print each child as `ID<TAB> name` or its KEY\'s values (niutil -list)'
complete -c relayctl -n "__fish_relayctl_using_subcommand help; and not __fish_seen_subcommand_from create destroy createprop appendprop mergeprop insertval destroyprop destroyval renameprop read list readprop readval domainname nidump niload relay auth user show config dkim status queue help" -f -a "readprop" -d 'Print a property\'s values, space separated (niutil -readprop)'
complete -c relayctl -n "__fish_relayctl_using_subcommand help; and not __fish_seen_subcommand_from create destroy createprop appendprop mergeprop insertval destroyprop destroyval renameprop read list readprop readval domainname nidump niload relay auth user show config dkim status queue help" -f -a "readval" -d 'Print one value of a property (niutil -readval)'
complete -c relayctl -n "__fish_relayctl_using_subcommand help; and not __fish_seen_subcommand_from create destroy createprop appendprop mergeprop insertval destroyprop destroyval renameprop read list readprop readval domainname nidump niload relay auth user show config dkim status queue help" -f -a "domainname" -d 'Print the domain\'s name (niutil -domainname)'
complete -c relayctl -n "__fish_relayctl_using_subcommand help; and not __fish_seen_subcommand_from create destroy createprop appendprop mergeprop insertval destroyprop destroyval renameprop read list readprop readval domainname nidump niload relay auth user show config dkim status queue help" -f -a "nidump" -d 'Print a subtree in nidump\'s raw format'
complete -c relayctl -n "__fish_relayctl_using_subcommand help; and not __fish_seen_subcommand_from create destroy createprop appendprop mergeprop insertval destroyprop destroyval renameprop read list readprop readval domainname nidump niload relay auth user show config dkim status queue help" -f -a "niload" -d 'Replace (or with -m merge) a subtree from raw format on standard input'
complete -c relayctl -n "__fish_relayctl_using_subcommand help; and not __fish_seen_subcommand_from create destroy createprop appendprop mergeprop insertval destroyprop destroyval renameprop read list readprop readval domainname nidump niload relay auth user show config dkim status queue help" -f -a "relay" -d 'The Restricted SMTP Relay: flag, trusted hosts, and what a client may do'
complete -c relayctl -n "__fish_relayctl_using_subcommand help; and not __fish_seen_subcommand_from create destroy createprop appendprop mergeprop insertval destroyprop destroyval renameprop read list readprop readval domainname nidump niload relay auth user show config dkim status queue help" -f -a "auth" -d 'SMTP AUTH required of every client not on the list (smtp_auth_flag)'
complete -c relayctl -n "__fish_relayctl_using_subcommand help; and not __fish_seen_subcommand_from create destroy createprop appendprop mergeprop insertval destroyprop destroyval renameprop read list readprop readval domainname nidump niload relay auth user show config dkim status queue help" -f -a "user" -d 'SMTP AUTH users (/users/NAME with an argon2id passwd)'
complete -c relayctl -n "__fish_relayctl_using_subcommand help; and not __fish_seen_subcommand_from create destroy createprop appendprop mergeprop insertval destroyprop destroyval renameprop read list readprop readval domainname nidump niload relay auth user show config dkim status queue help" -f -a "show" -d 'Every relay setting, explained'
complete -c relayctl -n "__fish_relayctl_using_subcommand help; and not __fish_seen_subcommand_from create destroy createprop appendprop mergeprop insertval destroyprop destroyval renameprop read list readprop readval domainname nidump niload relay auth user show config dkim status queue help" -f -a "config" -d 'Read and write settings by key, without NetInfo paths (like postconf)'
complete -c relayctl -n "__fish_relayctl_using_subcommand help; and not __fish_seen_subcommand_from create destroy createprop appendprop mergeprop insertval destroyprop destroyval renameprop read list readprop readval domainname nidump niload relay auth user show config dkim status queue help" -f -a "dkim" -d 'DKIM keys for signing mail relayed to MX hosts'
complete -c relayctl -n "__fish_relayctl_using_subcommand help; and not __fish_seen_subcommand_from create destroy createprop appendprop mergeprop insertval destroyprop destroyval renameprop read list readprop readval domainname nidump niload relay auth user show config dkim status queue help" -f -a "status" -d 'What the running relayd enforces: serial, counts, last reload, sessions, counters'
complete -c relayctl -n "__fish_relayctl_using_subcommand help; and not __fish_seen_subcommand_from create destroy createprop appendprop mergeprop insertval destroyprop destroyval renameprop read list readprop readval domainname nidump niload relay auth user show config dkim status queue help" -f -a "queue" -d 'The messages relayd has accepted and not yet delivered'
complete -c relayctl -n "__fish_relayctl_using_subcommand help; and not __fish_seen_subcommand_from create destroy createprop appendprop mergeprop insertval destroyprop destroyval renameprop read list readprop readval domainname nidump niload relay auth user show config dkim status queue help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c relayctl -n "__fish_relayctl_using_subcommand help; and __fish_seen_subcommand_from relay" -f -a "enable" -d 'Turn the restriction on (open_relay_addr_flag 1)'
complete -c relayctl -n "__fish_relayctl_using_subcommand help; and __fish_seen_subcommand_from relay" -f -a "disable" -d 'Turn the restriction off (open_relay_addr_flag 0); refused when AUTH is off too, unless --force'
complete -c relayctl -n "__fish_relayctl_using_subcommand help; and __fish_seen_subcommand_from relay" -f -a "add" -d 'Trust these hosts (refused with the reason if any entry is malformed, unless --force)'
complete -c relayctl -n "__fish_relayctl_using_subcommand help; and __fish_seen_subcommand_from relay" -f -a "remove" -d 'Stop trusting these hosts (matched as written, or as the same network)'
complete -c relayctl -n "__fish_relayctl_using_subcommand help; and __fish_seen_subcommand_from relay" -f -a "list" -d 'Print the trusted hosts, one a line'
complete -c relayctl -n "__fish_relayctl_using_subcommand help; and __fish_seen_subcommand_from relay" -f -a "export" -d 'Print the trusted hosts in import format'
complete -c relayctl -n "__fish_relayctl_using_subcommand help; and __fish_seen_subcommand_from relay" -f -a "import" -d 'Read entries from FILE (`-` for standard input): one a line, `#` comments'
complete -c relayctl -n "__fish_relayctl_using_subcommand help; and __fish_seen_subcommand_from relay" -f -a "check" -d 'May this client relay? Prints the decision and the entry that matched; exit 0 when accepted'
complete -c relayctl -n "__fish_relayctl_using_subcommand help; and __fish_seen_subcommand_from auth" -f -a "enable" -d 'Require SMTP AUTH of every client not on the list (smtp_auth_flag 1)'
complete -c relayctl -n "__fish_relayctl_using_subcommand help; and __fish_seen_subcommand_from auth" -f -a "disable" -d 'Stop requiring it (smtp_auth_flag 0); refused when the restriction is off too, unless --force'
complete -c relayctl -n "__fish_relayctl_using_subcommand help; and __fish_seen_subcommand_from user" -f -a "add" -d 'Add a user; the password is read from a prompt or the first line of standard input'
complete -c relayctl -n "__fish_relayctl_using_subcommand help; and __fish_seen_subcommand_from user" -f -a "passwd" -d 'Change a user\'s password (read like `add`)'
complete -c relayctl -n "__fish_relayctl_using_subcommand help; and __fish_seen_subcommand_from user" -f -a "remove" -d 'Remove a user'
complete -c relayctl -n "__fish_relayctl_using_subcommand help; and __fish_seen_subcommand_from user" -f -a "list" -d 'List users and their hash schemes'
complete -c relayctl -n "__fish_relayctl_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "get" -d 'Print each KEY (every key when none is given) as `key = values`, marking defaults'
complete -c relayctl -n "__fish_relayctl_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "set" -d 'Set KEY to exactly these values, checked as relayd would read them; creates /config/relayd when it is missing'
complete -c relayctl -n "__fish_relayctl_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "unset" -d 'Remove keys from the store, so that their defaults apply'
complete -c relayctl -n "__fish_relayctl_using_subcommand help; and __fish_seen_subcommand_from dkim" -f -a "keygen" -d 'Write a new private key and print the DNS TXT record to publish (signing is turned on afterwards, with the config commands it prints)'
complete -c relayctl -n "__fish_relayctl_using_subcommand help; and __fish_seen_subcommand_from dkim" -f -a "enable" -d 'Sign mail to MX hosts with this key from now on (dkim_domain, dkim_selector and dkim_key in one write, after checking the key loads)'
complete -c relayctl -n "__fish_relayctl_using_subcommand help; and __fish_seen_subcommand_from dkim" -f -a "disable" -d 'Stop signing (removes the three keys)'
complete -c relayctl -n "__fish_relayctl_using_subcommand help; and __fish_seen_subcommand_from queue" -f -a "list" -d 'List queued messages with each recipient\'s state, attempts, last reply and next retry'
complete -c relayctl -n "__fish_relayctl_using_subcommand help; and __fish_seen_subcommand_from queue" -f -a "show" -d 'One queued message: its envelope, each recipient\'s state, and its headers'
complete -c relayctl -n "__fish_relayctl_using_subcommand help; and __fish_seen_subcommand_from queue" -f -a "flush" -d 'Try every queued message now, or only ID (asks the running relayd)'
complete -c relayctl -n "__fish_relayctl_using_subcommand help; and __fish_seen_subcommand_from queue" -f -a "hold" -d 'Keep ID queued without delivering it until it is released'
complete -c relayctl -n "__fish_relayctl_using_subcommand help; and __fish_seen_subcommand_from queue" -f -a "release" -d 'Deliver a held message again'
complete -c relayctl -n "__fish_relayctl_using_subcommand help; and __fish_seen_subcommand_from queue" -f -a "delete" -d 'Remove ID from the queue without delivering it or bouncing it'
