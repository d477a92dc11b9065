# llm-efficiency.bash — bash completion for llm-efficiency(1). Installed as
# share/bash-completion/completions/llm-efficiency. It holds no list of its
# own: commands, subcommands and flags are read from the program's --help
# texts when completing (cached per shell), so it cannot drift from the CLI.

# The words of `llm-efficiency ARGS --help` that look like flags (--x, -x).
_lle_help_flags()
{
    "$1" "${@:2}" --help 2>&1 | grep -oE '(^|[ ,(|\[])--?[a-zA-Z][a-zA-Z0-9-]*' |
        sed -E 's/^[ ,(|\[]//' | sort -u
}

# Subcommands listed in the "commands:"/"subcommands:" block of a --help text.
_lle_help_subcommands()
{
    "$1" "${@:2}" --help 2>&1 | awk '
        /^(sub)?commands:/ { on = 1; next }
        on && /^[^ ]/      { on = 0 }
        on && /^  [a-z]/   { print $1 }' | sort -u
}

_llm_efficiency()
{
    local cur prog words_before key cmd sub
    cur="${COMP_WORDS[COMP_CWORD]}"
    prog="${COMP_WORDS[0]}"
    cmd="" sub=""
    local i w
    for ((i = 1; i < COMP_CWORD; i++)); do
        w="${COMP_WORDS[i]}"
        case "$w" in -*) continue ;; esac
        if [ -z "$cmd" ]; then cmd="$w"; elif [ -z "$sub" ]; then sub="$w"; break; fi
    done
    words_before="$cmd $sub"

    # file names after options that take a file
    case "${COMP_WORDS[COMP_CWORD-1]}" in
        --model|--prompt-file|-o|--output|--timeseries|--results-dir|--cache-dir|--vocab-dir)
            mapfile -t COMPREPLY < <(compgen -f -- "$cur"); return 0 ;;
    esac

    key="_LLE_COMP_${words_before// /_}"
    key="${key//-/_}"
    if [ -z "$cmd" ]; then
        if [[ "$cur" == -* ]]; then
            mapfile -t COMPREPLY < <(compgen -W "$(_lle_help_flags "$prog")" -- "$cur")
        else
            mapfile -t COMPREPLY < <(compgen -W "$(_lle_help_subcommands "$prog")" -- "$cur")
        fi
        return 0
    fi
    if [ -z "$sub" ] && [[ "$cur" != -* ]]; then
        local subs
        case "$cmd" in
            run) subs="single models controlled scenarios grid" ;;
            *)   subs="$(_lle_help_subcommands "$prog" "$cmd")" ;;
        esac
        if [ -n "$subs" ]; then
            mapfile -t COMPREPLY < <(compgen -W "$subs" -- "$cur")
            return 0
        fi
    fi
    if [[ "$cur" == -* ]]; then
        if [ -z "${!key:-}" ]; then
            local args=("$cmd")
            [ -n "$sub" ] && args+=("$sub")
            printf -v "$key" '%s' "$(_lle_help_flags "$prog" "${args[@]}")"
        fi
        mapfile -t COMPREPLY < <(compgen -W "${!key}" -- "$cur")
        return 0
    fi
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
}
complete -F _llm_efficiency llm-efficiency
