"""Offline stand-in for the get-pip.py that ansible-test downloads to bootstrap its venvs.

ansible-test runs it as ``python get_pip.py --disable-pip-version-check pip==X --no-setuptools
--no-wheel`` inside a venv made without pip; the real script's host is unreachable here.
"""
import subprocess
import sys

args = [a for a in sys.argv[1:] if a not in ('--no-setuptools', '--no-wheel')]
subprocess.check_call([sys.executable, '-m', 'ensurepip', '--default-pip'], stdout=subprocess.DEVNULL)
subprocess.check_call([sys.executable, '-m', 'pip', 'install', '-q'] + args)
