set -e
apt-get purge -y -qq -o DPkg::Lock::Timeout=600 cron logrotate

# the logs w_logrotate.sh created (deleting them by hand is what Log File Deleted is for: do it
# after the measurement, outside the measured sessions): rm -rf /var/log/vigil-noise
