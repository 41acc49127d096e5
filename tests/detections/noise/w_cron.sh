set -e
had=0
if crontab -l > $OUT/crontab.orig 2>/dev/null; then had=1; fi
# crontab -e at a terminal (script gives it a pty); the editor appends a comment line
script -qec "env EDITOR=$NOISE_DIR/ed.sh crontab -e" /dev/null
crontab -l | grep -q "vigil noise test"
# restore what was there (interactively too)
if [ $had = 1 ]; then script -qec "crontab $OUT/crontab.orig" /dev/null; else crontab -r; fi
crontab -l 2>&1 | head -2
