# bash completion for vigil — installed to <datadir>/bash-completion/completions/vigil.
# Completes subcommands, each subcommand's options, file arguments and option values
# (formats, event types). tests/cli/completion_test.sh checks it against `vigil --help`.
_vigil() {
  local cur prev words cword
  _init_completion 2>/dev/null || {
    cur="${COMP_WORDS[COMP_CWORD]}"; prev="${COMP_WORDS[COMP_CWORD-1]}"
    words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD
  }
  local commands="run validate rules list-fields record replay test bench doctor"
  local cmd="" i
  for ((i = 1; i < cword; i++)); do
    case "${words[i]}" in -*) ;; *) cmd="${words[i]}"; break ;; esac
  done
  if [[ -z "$cmd" ]]; then
    COMPREPLY=($(compgen -W "$commands --help --version" -- "$cur"))
    return
  fi
  case "$prev" in
    -c|--config|-w|--output-file|--output)
      COMPREPLY=($(compgen -f -- "$cur")); return ;;
    -r|--rules)
      COMPREPLY=($(compgen -f -- "$cur")); return ;;
    -f|--format)
      COMPREPLY=($(compgen -W "json text ecs" -- "$cur")); return ;;
    --filter-syscalls)
      COMPREPLY=($(compgen -W "open openat openat2 creat execve execveat connect accept accept4 bind listen socket clone clone3 fork vfork procexit" -- "$cur")); return ;;
    -o|--option|--set|--duration|--pid|--ring-mb|--stats-interval)
      return ;;
  esac
  local opts=""
  case "$cmd" in
    run) opts="-c --config -r --rules -o --option --stats-interval --duration --help" ;;
    validate) opts="-r --rules --no-warnings --show-prefilter --help" ;;
    rules) opts="list --help"
      [[ " ${words[*]} " == *" list "* ]] && opts="-c --config -o --option -r --rules --json --help" ;;
    list-fields) opts="--json --help" ;;
    record) opts="-w --output-file --duration --filter-syscalls --pid --ring-mb --send-recv --with-env --help" ;;
    replay) opts="-r --rules -f --format --rules-from-default -c --config -o --option --set --help" ;;
    test) opts="-r --rules --failures-only --help" ;;
    bench) opts="--help" ;;
    doctor) opts="-c --config --help" ;;
  esac
  if [[ "$cur" == -* || "$cmd" == rules ]]; then
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -o filenames -F _vigil vigil
