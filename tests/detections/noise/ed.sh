#!/bin/sh
sleep 1.1
echo "# vigil noise test" >> "$1"
