# Sourced by scripts/serve and scripts/test: the project's .venv, installed from one requirements file.
# Not executable on its own.

# Run a command as root: directly when we are root, through sudo when it is there.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null; then
        sudo "$@"
    else
        echo "Need root (or sudo) to run: $*" >&2
        return 1
    fi
}

# Create .venv when missing and pip-install REQUIREMENTS_FILE into it, skipped while a stamp
# shows that the requirements (and the interpreter) are unchanged since the last install.
ensure_venv() {
    local requirements=$1
    local python=${PYTHON:-python3}
    local stamp=".venv/.installed-${requirements%.txt}"
    if [ ! -x .venv/bin/python ]; then
        if ! "$python" -c "import ensurepip" 2>/dev/null; then
            # Debian's python3 ships venv's pip bootstrap in a separate package.
            echo "Installing python3-venv (Debian) so $python can create .venv ..."
            as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
            as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv
        fi
        echo "Creating .venv with $("$python" --version 2>&1) ..."
        rm -rf .venv
        "$python" -m venv .venv
    fi
    local digest
    digest=$(cat requirements*.txt <(.venv/bin/python --version 2>&1) | sha256sum | cut -d' ' -f1)
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$digest" ]; then
        return 0
    fi
    echo "Installing $requirements into .venv ..."
    .venv/bin/python -m pip install -qq --disable-pip-version-check -r "$requirements"
    echo "$digest" >"$stamp"
}
