# -*- coding: utf-8 -*-
# Copyright: cicd.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Files on the managed host: the one place cicd.gitlab writes a destination (an artifacts archive,
one artifact file, a job log, and the JSON record beside an artifact).

``destination_problems()`` checks every destination option before the first request.
``HostFiles.write()`` streams a download into ONE temporary file beside the destination, named
``.<name>.cicd-gitlab-<pid>-<random>.part``, gives it its final mode, owner, group (and SELinux
context) while it is still invisible under the destination's name, then moves it into place with
``os.replace()`` in the same directory, so the destination is never partial and never visible with
wider permissions than asked for. A download identical to the file in place changes nothing.
Leftovers of earlier runs that were killed (temporary files of that destination whose process is
gone) are removed first. Every failure is a ``FileError`` whose message names the file and the
reason; the destination and its record are then as they were and no temporary file remains.

It needs AnsibleModule only for what AnsibleModule alone can do (SELinux contexts, ``attributes``
through chattr, file arguments); that object is injected, so this file is unit-tested without it.
Private to the collection: the API of this file may change without notice.
"""

from __future__ import annotations

import errno
import grp
import hashlib
import json
import os
import pwd
import re
import secrets
import stat

from ansible.module_utils.basic import AnsibleModule

TEMP_MARK = '.cicd-gitlab-'
TEMP_SUFFIX = '.part'
RECORD_SUFFIX = '.cicd-gitlab'
FALLBACK_ARCHIVE_NAME = 'artifacts.zip'
# Bytes of the destination's name kept in a temporary file's name, so that name stays within
# NAME_MAX (255 bytes) with the mark, the pid and the random part.
_TEMP_NAME_BYTES = 200
_NAME_MAX = 255
_CHUNK = 1024 * 1024
_MODE_CLAUSE = re.compile(r'^[ugoa]*([-+=][rwxXstugo]*)+$')
_CONTROL = re.compile(r'[\x00-\x1f\x7f-\x9f]')
# Temporary files this process created: never removed as leftovers, whatever their pid says.
_OURS = set()


class FileError(Exception):
    """A destination on the managed host could not be written; ``str()`` says which file and why.

    When it is raised the destination and its record are as they were and no temporary file is left.
    """


# ---- names ----------------------------------------------------------------------------------


def shown(value):
    """A name for a message: control characters escaped, never raw."""
    text = repr(value)
    return text[1:-1] if isinstance(value, str) else text


def name_problem(name):
    """Why ``name`` cannot be ONE plain file name in a directory (a sentence), or None.

    Refused: anything but a string, empty, ``.`` or ``..``, a ``/`` or ``\\``, control characters,
    more than 255 bytes, and the names this file uses for its own records and temporary files.
    """
    if not isinstance(name, str) or not name:
        return 'it is empty'
    if name in ('.', '..'):
        return 'it is %s' % name
    if '/' in name or '\\' in name:
        return 'it contains a / or \\'
    if _CONTROL.search(name):
        return 'it contains a control character'
    if len(name.encode('utf-8', 'surrogateescape')) > _NAME_MAX:
        return 'it is longer than %d bytes' % _NAME_MAX
    if name.endswith(RECORD_SUFFIX) or (name.endswith(TEMP_SUFFIX) and TEMP_MARK in name):
        return 'it is the name of a cicd.gitlab record or temporary file'
    return None


def server_file_name(name, fallback=FALLBACK_ARCHIVE_NAME):
    """``(file_name, warning)`` for a file name GitLab supplied (``artifacts_file.filename``).

    A name that is not a plain, visible file name (see ``name_problem``; also a name starting with
    ``.``) is never used: ``fallback`` is, and ``warning`` says why (else ``warning`` is None).
    """
    problem = name_problem(name)
    if problem is None and name.startswith('.'):
        problem = 'it starts with .'
    if problem is None:
        return name, None
    return fallback, 'GitLab named the file %r, which is not a plain file name (%s); it is written as %s instead' % (
        name if isinstance(name, str) else str(name), problem, fallback)


def absolute(path, cwd=None):
    """``path`` made absolute against ``cwd`` (the module's working directory), a trailing / kept."""
    if os.path.isabs(path):
        full = os.path.normpath(path)
    else:
        full = os.path.normpath(os.path.join(cwd or os.getcwd(), path))
    if path.endswith('/') and not full.endswith('/'):
        full += '/'
    return full


def file_in(directory, name, option, not_same=None):
    """The path of the file ``name`` in ``directory`` (the directory ``option`` names), checked.

    FileError when the name would leave the directory, names a directory, or is the file of
    ``not_same`` (``(other option, its value)``).
    """
    target = os.path.join(directory, name)
    if os.path.dirname(target) != directory or name_problem(name):
        raise FileError('%s: the file name %s would place the file outside %s' % (option, shown(name), directory))
    if os.path.isdir(target):
        raise FileError('%s: %s is a directory; give the file to write' % (option, target))
    if not_same and not_same[1] and target == absolute(not_same[1]):
        raise FileError('%s and %s must be different files (both are %s)' % (option, not_same[0], target))
    return target


def record_name_for(dest):
    """The record beside ``dest``: ``<dir>/.<name>.cicd-gitlab``."""
    directory, name = os.path.split(os.path.abspath(dest))
    return os.path.join(directory, '.%s%s' % (name, RECORD_SUFFIX))


def _temp_stem(name):
    raw = name.encode('utf-8', 'surrogateescape')[:_TEMP_NAME_BYTES]
    return '.' + raw.decode('utf-8', 'ignore') + TEMP_MARK


def temp_name(name, pid=None, token=None):
    """The temporary file's name for destination ``name``: ``.<name>.cicd-gitlab-<pid>-<random>.part``."""
    return '%s%d-%s%s' % (_temp_stem(name), os.getpid() if pid is None else pid, token or secrets.token_hex(4), TEMP_SUFFIX)


def leftover_pid(name, candidate):
    """The pid in ``candidate`` when it is a temporary file of destination ``name``, else None."""
    pattern = re.escape(_temp_stem(name)) + r'(\d+)-[0-9A-Za-z_]+' + re.escape(TEMP_SUFFIX) + '$'
    found = re.match(pattern, candidate)
    return int(found.group(1)) if found else None


def pid_alive(pid):
    """True when a process ``pid`` runs (or may run: no permission to tell)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


# ---- modes, owners, groups ----------------------------------------------------------------------


class _ModeBase:
    """What AnsibleModule's symbolic mode parser reads of a stat result."""

    def __init__(self, mode):
        self.st_mode = stat.S_IFREG | mode


def current_umask():
    umask = os.umask(0)
    os.umask(umask)
    return umask


def new_file_mode(umask=None):
    """The mode Ansible gives a file it creates: 0666 without the umask."""
    mask = current_umask() if umask is None else int(umask)
    return 0o666 & ~mask


def parse_mode(mode, base):
    """The permission bits ``mode`` means for a file whose mode is ``base``; ValueError when invalid.

    ``mode`` is what Ansible's ``mode`` option takes: a number, an octal string (V(0640)), or a
    symbolic mode (V(u=rw,g=r)), parsed by ansible-core's own parser; every clause of a symbolic
    mode needs an operator (``u`` alone is refused, as chmod does).
    """
    if isinstance(mode, bool):
        raise ValueError('a boolean is not a mode')
    if isinstance(mode, int):
        value = mode
    else:
        text = str(mode).strip()
        try:
            value = int(text, 8)
        except ValueError:
            if not text or not all(_MODE_CLAUSE.match(clause) for clause in text.split(',')):
                raise ValueError('not an octal or symbolic mode') from None
            # ansible-core's parser, the one the file module uses; a classmethod needing no module.
            value = AnsibleModule._symbolic_mode_to_octal(_ModeBase(base), text)  # pylint: disable=protected-access
    if value < 0 or value != stat.S_IMODE(value):
        raise ValueError('only permission bits (at most 07777) can be given')
    return value


def mode_problem(mode):
    """A sentence when ``mode`` is not a valid mode, else None."""
    if mode is None:
        return None
    try:
        parse_mode(mode, 0o644)
    except (ValueError, TypeError):
        return ('mode %s is not a valid mode; give an octal mode in quotes such as "0640", or a symbolic mode such as '
                '"u=rw,g=r,o="' % shown(str(mode)))
    return None


def user_id(owner):
    """The uid of ``owner`` (a name or a number); KeyError when there is no such user."""
    text = str(owner).strip()
    if text.isdigit():
        return int(text)
    return pwd.getpwnam(text).pw_uid


def group_id(group):
    """The gid of ``group`` (a name or a number); KeyError when there is no such group."""
    text = str(group).strip()
    if text.isdigit():
        return int(text)
    return grp.getgrnam(text).gr_gid


# ---- validation before any request ---------------------------------------------------------------


class RealHost:
    """The questions destination_problems() asks about the host, answered by the host."""

    @staticmethod
    def kind(path):
        """``'dir'``, ``'file'``, ``'other'`` (fifo, device, socket) or None when nothing is there.

        A symbolic link counts as what it points to; a dangling one as a file (it is replaced).
        """
        try:
            info = os.stat(path)
        except OSError:
            return 'file' if os.path.islink(path) else None
        if stat.S_ISDIR(info.st_mode):
            return 'dir'
        return 'file' if stat.S_ISREG(info.st_mode) else 'other'

    @staticmethod
    def writable(directory):
        flags = os.W_OK | os.X_OK
        if os.access in os.supports_effective_ids:
            return os.access(directory, flags, effective_ids=True)
        return os.access(directory, flags)

    @staticmethod
    def same_file(first, second):
        try:
            return os.path.samefile(first, second)
        except OSError:
            return False


class DirectoriesOnly(RealHost):
    """A host where only the directories ``isdir`` names exist, all writable (for table tests)."""

    def __init__(self, isdir):
        self.isdir = isdir

    def kind(self, path):
        return 'dir' if self.isdir(path.rstrip('/') or '/') else None

    def writable(self, directory):
        return True

    def same_file(self, first, second):
        return False


def _dest_problems(option, dest, host, want_dir_ok):
    """Problems with one destination path (already absolute); ``want_dir_ok``: a directory may be given."""
    if '\x00' in dest:
        return ['%s contains a NUL character, which no file name can hold' % option]
    kind = host.kind(dest)
    if dest.endswith('/'):
        if kind != 'dir':
            return ['%s: %s ends with / but the directory does not exist' % (option, dest)]
        if not want_dir_ok:
            return ['%s must be a file, not the directory %s' % (option, dest.rstrip('/') or '/')]
    if kind == 'dir':
        if not want_dir_ok:
            return ['%s must be a file, not the directory %s' % (option, dest)]
        directory = dest
    else:
        if kind == 'other':
            return ['%s: %s exists and is not a regular file' % (option, dest)]
        directory = os.path.dirname(dest.rstrip('/')) or '/'
        if host.kind(directory) != 'dir':
            return ['%s: the directory %s does not exist' % (option, directory)]
    if not host.writable(directory):
        return ['%s: the directory %s is not writable (no permission, or a read-only file system)' % (option, directory)]
    return []


def destination_problems(params, host=None, cwd=None):
    """Every problem with the destination options, as sentences; nothing is requested or written.

    ``params`` are the module's (``artifacts_dest``, ``artifact_path``, ``artifacts_max_size``,
    ``log_dest``, ``mode``, ``owner``, ``group``); ``host`` answers questions about the managed
    host (``RealHost()`` by default, injectable), ``cwd`` is the directory relative paths are
    resolved against (the module's working directory). Paths are reported absolute.
    """
    host = host or RealHost()
    problems = []
    artifacts_dest, log_dest = params.get('artifacts_dest'), params.get('log_dest')
    artifact_path = params.get('artifact_path')
    if artifact_path not in (None, '') and not artifacts_dest:
        problems.append('artifact_path needs artifacts_dest, the file to write it to')
    if artifact_path is not None and not artifact_path.strip('/ '):
        problems.append('artifact_path cannot be empty')
    elif artifact_path and artifacts_dest and '\x00' not in artifacts_dest and host.kind(absolute(artifacts_dest, cwd)) == 'dir':
        problem = name_problem(artifact_path.rstrip('/').rsplit('/', 1)[-1])
        if problem:
            problems.append('artifact_path: its file name %s cannot be written on the managed host (%s)'
                            % (shown(artifact_path.rsplit('/', 1)[-1]), problem))
    if params.get('artifacts_max_size') is not None and not artifacts_dest:
        problems.append('artifacts_max_size needs artifacts_dest')
    if artifacts_dest:
        artifacts_dest = absolute(artifacts_dest, cwd)
        problems.extend(_dest_problems('artifacts_dest', artifacts_dest, host, want_dir_ok=True))
    if log_dest:
        log_dest = absolute(log_dest, cwd)
        problems.extend(_dest_problems('log_dest', log_dest, host, want_dir_ok=False))
    if artifacts_dest and log_dest and '\x00' not in artifacts_dest + log_dest:
        target = artifacts_dest.rstrip('/')
        if host.kind(target) == 'dir' and artifact_path:
            target = os.path.join(target, artifact_path.rstrip('/').rsplit('/', 1)[-1])
        if target == log_dest.rstrip('/') or host.same_file(target, log_dest):
            problems.append('artifacts_dest and log_dest must be different files')
    if (artifacts_dest or log_dest) and params.get('mode') is not None:
        problem = mode_problem(params['mode'])
        if problem:
            problems.append(problem)
    for option, lookup, what in (('owner', user_id, 'user'), ('group', group_id, 'group')):
        value = params.get(option)
        if (artifacts_dest or log_dest) and value not in (None, ''):
            try:
                lookup(value)
            except (KeyError, ValueError):
                problems.append('%s: there is no %s %s on the managed host' % (option, what, shown(str(value))))
    return problems


# ---- reading --------------------------------------------------------------------------------


def file_sha256(path):
    """sha256 of a local file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, 'rb') as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b''):
            digest.update(chunk)
    return digest.hexdigest()


def regular_file_stat(path):
    """``{'size', 'sha256'}`` of the regular file at ``path`` (not a symbolic link), or None."""
    try:
        info = os.lstat(path)
        if not stat.S_ISREG(info.st_mode):
            return None
        return {'size': info.st_size, 'sha256': file_sha256(path)}
    except OSError:
        return None


def read_record(path):
    """The JSON record at ``path``, or None when it is missing or unreadable."""
    try:
        with open(path, encoding='utf-8') as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


# ---- the record beside a destination -----------------------------------------------------
# A destination whose content is known by identity (a job's artifacts: project, job id, file) has a
# record beside it, ``.<name>.cicd-gitlab``: that identity with the size and sha256 written. A run
# that finds the record naming the same identity, and the file still of that size and sha256,
# fetches nothing.

def record_names(record, identity):
    """True when ``record`` (read from JSON) names ``identity``: every key of it, the same value."""
    return isinstance(record, dict) and all(record.get(key) == value for key, value in identity.items())


def record_matches(record, identity, stat):
    """True when the destination, now ``stat`` (``{'size', 'sha256'}`` or None), still holds what ``record`` names."""
    if not stat or not record_names(record, identity):
        return False
    return record.get('size') == stat.get('size') and record.get('sha256') == stat.get('sha256')


def build_record(identity, download):
    """The record written once the destination holds ``download`` (``{'size', 'sha256'}``)."""
    record = dict(identity)
    record.update(size=download['size'], sha256=download['sha256'])
    return record


# ---- writing --------------------------------------------------------------------------------


def _reason(err):
    """An OSError as a short reason: ``No space left on device (ENOSPC)``."""
    name = errno.errorcode.get(err.errno or 0)
    text = err.strerror or str(err)
    return '%s (%s)' % (text, name) if name else text


def clean_leftovers(directory, name, alive=pid_alive):
    """Remove the temporary files of destination ``name`` in ``directory`` left by runs that were killed.

    Only files whose name says they belong to ``name`` and whose pid no longer runs are removed;
    a live process's file (or this process's) is never touched. Returns the names removed.
    """
    removed = []
    try:
        entries = os.listdir(directory)
    except OSError:
        return removed
    for entry in sorted(entries):
        pid = leftover_pid(name, entry)
        path = os.path.join(directory, entry)
        if pid is None or path in _OURS or (pid != os.getpid() and alive(pid)):
            continue
        try:
            if stat.S_ISDIR(os.lstat(path).st_mode):
                continue
            os.unlink(path)
            removed.append(entry)
        except OSError:
            continue
    return removed


def _private_opener(path, flags):
    """Open a new file readable by its owner only, never through a symbolic link."""
    return os.open(path, flags | getattr(os, 'O_NOFOLLOW', 0) | getattr(os, 'O_CLOEXEC', 0), 0o600)


def _close_quietly(handle):
    """Close a temporary file that is being given up (its own error is not the one to report)."""
    try:
        handle.close()
    except OSError:
        pass


def _unlink_quietly(path):
    try:
        os.unlink(path)
    except OSError:
        pass
    _OURS.discard(path)


class HostFiles:
    """Writes destinations on the managed host with the file options of one task.

    ``module`` is the AnsibleModule (or a stand-in with the same methods: ``selinux_enabled()``,
    ``selinux_context(path)``, ``selinux_default_context(path)``, ``set_context_if_different(path,
    context, changed)``, ``set_attributes_if_different(path, attributes, changed)`` and
    ``check_mode``); ``params`` holds the file options: ``mode``, ``owner``, ``group``, ``seuser``,
    ``serole``, ``setype``, ``selevel``, ``attributes``, ``unsafe_writes``.
    """

    def __init__(self, module, params, umask=None):
        self.module = module
        self.params = params
        self.umask = current_umask() if umask is None else umask
        self.leftovers = []

    # ---- what a destination must look like ----

    def final_attributes(self, dest, existing=None):
        """``(mode, uid, gid)`` the file at ``dest`` must have; uid/gid None: whatever creating it gives.

        The requested ``mode`` (a symbolic one applied to the existing file's mode, or to a new
        file's); else the existing file's mode; else 0666 without the umask, as Ansible gives new
        files. The requested owner and group, else the existing file's.
        """
        if existing is None:
            existing = self._lstat_regular(dest)
        base = stat.S_IMODE(existing.st_mode) if existing else new_file_mode(self.umask)
        mode = base
        if self.params.get('mode') is not None:
            try:
                mode = parse_mode(self.params['mode'], base)
            except (ValueError, TypeError):
                raise FileError(mode_problem(self.params['mode'])) from None
        uid = gid = None
        if existing:
            uid, gid = existing.st_uid, existing.st_gid
        for option, lookup, what in (('owner', user_id, 'user'), ('group', group_id, 'group')):
            value = self.params.get(option)
            if value in (None, ''):
                continue
            try:
                found = lookup(value)
            except (KeyError, ValueError):
                raise FileError('%s: there is no %s %s on the managed host' % (option, what, shown(str(value)))) from None
            if option == 'owner':
                uid = found
            else:
                gid = found
        return mode, uid, gid

    @staticmethod
    def _lstat_regular(path):
        try:
            info = os.lstat(path)
        except OSError:
            return None
        return info if stat.S_ISREG(info.st_mode) else None

    def _selinux_context(self, dest):
        """The SELinux context ``dest`` must have (requested parts, else the file's, else the default)."""
        if not self.module.selinux_enabled():
            return None
        if os.path.lexists(dest):
            context = list(self.module.selinux_context(dest))
        else:
            context = list(self.module.selinux_default_context(dest))
        default = self.module.selinux_default_context(dest)
        wanted = [self.params.get(option) for option in ('seuser', 'serole', 'setype', 'selevel')][:len(context)]
        for index, value in enumerate(wanted):
            if value == '_default':
                value = default[index] if index < len(default) else None
            if value is not None:
                context[index] = value
        return context

    # ---- writing ----

    def sync(self, dest, fetch, identity=None, digest=None, force=False):
        """Make ``dest`` hold what ``fetch(handle)`` streams, fetching only what is needed.

        Returns ``{'path', 'size', 'sha256', 'changed', 'outcome'}``; ``outcome`` is one of

        - ``kept``: ``dest`` already holds it, nothing was fetched; only attributes may have changed;
        - ``same``: fetched and compared, ``dest`` already held it (attributes may have changed);
        - ``written``: ``dest`` was replaced (see write());
        - ``would write``: check mode, ``dest`` would be written.

        ``identity`` (artifacts): the record beside ``dest`` tells whether it holds that content;
        it is written after the file. ``digest`` (logs, which have no stable identity): a function
        returning the remote ``{'size', 'sha256'}``, which check mode compares with ``dest`` instead
        of fetching. ``force`` ignores the record. Raises FileError as write() does.
        """
        dest = os.path.abspath(dest)
        if identity is not None and not force:
            record = read_record(record_name_for(dest))
            stat = None
            if record_names(record, identity) and os.path.isfile(dest) and os.path.getsize(dest) == record.get('size'):
                stat = regular_file_stat(dest)
            if record_matches(record, identity, stat):
                return self._kept(dest, stat)
        if getattr(self.module, 'check_mode', False):
            if digest is None:
                return {'path': dest, 'size': None, 'sha256': None, 'changed': True, 'outcome': 'would write'}
            remote, local = digest(), regular_file_stat(dest)
            if local is not None and (local['size'], local['sha256']) == (remote['size'], remote['sha256']):
                return self._kept(dest, local)
            return {'path': dest, 'size': remote['size'], 'sha256': remote['sha256'], 'changed': True, 'outcome': 'would write'}
        record = (lambda download: build_record(identity, download)) if identity is not None else None
        info = self.write(dest, fetch, record=record)
        info['outcome'] = 'written' if info.pop('replaced') else 'same'
        return info

    def _kept(self, dest, stat):
        return {'path': dest, 'size': stat['size'], 'sha256': stat['sha256'], 'changed': self.keep(dest), 'outcome': 'kept'}

    def write(self, dest, fetch, record=None):
        """Fetch a file into ``dest``; return ``{'path', 'size', 'sha256', 'changed'}``.

        ``fetch(handle)`` streams the content into ``handle`` (a binary file open for writing and
        reading, at offset 0) and returns at least ``{'size', 'sha256'}``; any exception it raises
        leaves ``dest`` (and its record) as they were. ``record``, when given, is a function of
        that answer returning the dict written as JSON to the record beside ``dest``, once ``dest``
        holds the content. ``replaced`` in the answer says whether the content was replaced,
        ``changed`` whether anything (content or attributes) was. Raises FileError for anything
        the host refuses (no space, read-only, an owner that cannot be applied).
        """
        dest = os.path.abspath(dest)
        directory, name = os.path.split(dest)
        self.leftovers.extend(os.path.join(directory, entry) for entry in clean_leftovers(directory, name))
        if record is not None:
            self.leftovers.extend(os.path.join(directory, entry) for entry in clean_leftovers(directory, os.path.basename(record_name_for(dest))))
        mode, uid, gid = self.final_attributes(dest)
        tmp, handle = self._create_temp(directory, name, dest)
        try:
            try:
                info = fetch(handle)
                if handle.closed:
                    raise FileError('the download for %s closed its temporary file %s; %s was left as it was' % (dest, tmp, dest))
                handle.flush()
                written = os.fstat(handle.fileno()).st_size
            except OSError as err:
                raise FileError('cannot write the download for %s (into %s): %s; the file was left as it was'
                                % (dest, os.path.basename(tmp), _reason(err))) from None
            if written != info['size']:
                raise FileError('the temporary file %s holds %d bytes but %d were downloaded; %s was left as it was'
                                % (tmp, written, info['size'], dest))
            current = regular_file_stat(dest)
            if current is not None and current['size'] == info['size'] and current['sha256'] == info['sha256']:
                handle.close()
                _unlink_quietly(tmp)
                replaced = False
                changed = self.keep(dest)
            else:
                self._give_attributes(handle, tmp, dest, mode, uid, gid)
                self._close(handle, tmp, dest)
                self._move(tmp, dest)
                replaced = changed = True
                self._chattr(dest)
        finally:
            _close_quietly(handle)
            if os.path.lexists(tmp):
                _unlink_quietly(tmp)
            _OURS.discard(tmp)
        if record is not None:
            self.write_record(record_name_for(dest), record(info), like=dest)
        return {'path': dest, 'size': info['size'], 'sha256': info['sha256'], 'changed': changed, 'replaced': replaced}

    def _create_temp(self, directory, name, dest):
        for _attempt in range(10):
            tmp = os.path.join(directory, temp_name(name))
            try:
                handle = open(tmp, 'x+b', opener=_private_opener)  # pylint: disable=consider-using-with
            except FileExistsError:
                continue
            except OSError as err:
                raise FileError('cannot create a temporary file in %s for %s: %s; nothing was downloaded'
                                % (directory, dest, _reason(err))) from None
            _OURS.add(tmp)
            return tmp, handle
        raise FileError('cannot create a temporary file in %s for %s: every name tried exists' % (directory, dest))

    def _give_attributes(self, handle, tmp, dest, mode, uid, gid):
        """Owner, group, mode and SELinux context on the temporary file, before it gets ``dest``'s name."""
        fd = handle.fileno()
        info = os.fstat(fd)
        want_uid = -1 if uid is None or uid == info.st_uid else uid
        want_gid = -1 if gid is None or gid == info.st_gid else gid
        if want_uid != -1 or want_gid != -1:
            try:
                os.fchown(fd, want_uid, want_gid)
            except OSError as err:
                asked = ['%s=%s' % (option, shown(str(self.params[option]))) for option in ('owner', 'group')
                         if self.params.get(option) not in (None, '')]
                if asked or err.errno != errno.EPERM:
                    raise FileError('cannot give %s the %s asked for: %s; the new file was removed and %s was left as it was'
                                    % (dest, ', '.join(asked) or 'owner and group of the file it replaces', _reason(err), dest)) from None
                # Like Ansible's atomic_move: without the right to, a replaced file's owner is not kept.
        try:
            os.fchmod(fd, mode)
        except OSError as err:
            raise FileError('cannot give %s the mode %04o: %s; the new file was removed and %s was left as it was'
                            % (dest, mode, _reason(err), dest)) from None
        context = self._selinux_context(dest)
        if context is not None:
            self.module.set_context_if_different(tmp, context, False)

    @staticmethod
    def _close(handle, tmp, dest):
        try:
            handle.close()
        except OSError as err:
            raise FileError('cannot write the download for %s (into %s): %s; the file was left as it was'
                            % (dest, os.path.basename(tmp), _reason(err))) from None

    def _move(self, tmp, dest):
        """Rename ``tmp`` to ``dest`` (same directory: atomic). With unsafe_writes, copy in place when the rename cannot be done."""
        try:
            os.replace(tmp, dest)
            _OURS.discard(tmp)
            return
        except OSError as err:
            if not (self.params.get('unsafe_writes') and err.errno in (errno.EBUSY, errno.EXDEV, errno.EPERM, errno.EACCES, errno.ETXTBSY)):
                raise FileError('cannot move the download into place as %s: %s; %s was left as it was' % (dest, _reason(err), dest)) from None
        # unsafe_writes: a bind-mounted file (containers) cannot be renamed over; write it in place.
        try:
            with open(tmp, 'rb') as source, open(dest, 'wb') as target:
                for chunk in iter(lambda: source.read(_CHUNK), b''):
                    target.write(chunk)
        except OSError as err:
            raise FileError('cannot write %s in place (unsafe_writes): %s; it may be incomplete' % (dest, _reason(err))) from None
        self.keep(dest)

    def _chattr(self, dest):
        if self.params.get('attributes'):
            self.module.set_attributes_if_different(dest, self.params['attributes'], True)

    def keep(self, dest):
        """Give the file already at ``dest`` the requested attributes; True when that changed it (or would, in check mode)."""
        existing = self._lstat_regular(dest)
        if existing is None:
            return False
        mode, uid, gid = self.final_attributes(dest, existing)
        changed = False
        want_uid = -1 if uid is None or uid == existing.st_uid else uid
        want_gid = -1 if gid is None or gid == existing.st_gid else gid
        check = getattr(self.module, 'check_mode', False)
        if want_uid != -1 or want_gid != -1:
            changed = True
            if not check:
                try:
                    os.lchown(dest, want_uid, want_gid)
                except OSError as err:
                    raise FileError('cannot give %s the owner and group asked for: %s' % (dest, _reason(err))) from None
        # chown clears the set-id bits, so the mode is given again after it.
        if mode != stat.S_IMODE(existing.st_mode) or (changed and mode & (stat.S_ISUID | stat.S_ISGID)):
            changed = True
            if not check:
                try:
                    os.chmod(dest, mode)
                except OSError as err:
                    raise FileError('cannot give %s the mode %04o: %s' % (dest, mode, _reason(err))) from None
        context = self._selinux_context(dest)
        if context is not None:
            changed = self.module.set_context_if_different(dest, context, changed)
        if self.params.get('attributes'):
            changed = self.module.set_attributes_if_different(dest, self.params['attributes'], changed)
        return changed

    def write_record(self, path, data, like=None):
        """Write ``data`` as JSON to ``path`` through a temporary file and a rename.

        The record gets the mode (without execute bits), owner and group of ``like`` (the
        destination it describes). On failure the old record is removed: a record never claims
        what is not there.
        """
        directory, name = os.path.split(os.path.abspath(path))
        info = self._lstat_regular(like) if like else None
        tmp, handle = self._create_temp(directory, name, path)
        try:
            try:
                handle.write(json.dumps(data, sort_keys=True).encode('utf-8'))
                if info is not None:
                    if info.st_uid != os.geteuid() or info.st_gid != os.fstat(handle.fileno()).st_gid:
                        try:
                            os.fchown(handle.fileno(), info.st_uid, info.st_gid)
                        except OSError as err:
                            if err.errno != errno.EPERM:
                                raise
                    os.fchmod(handle.fileno(), stat.S_IMODE(info.st_mode) & 0o666)
                handle.close()
                os.replace(tmp, path)
            except OSError as err:
                _unlink_quietly(path)
                raise FileError('%s was written, but its record %s could not be: %s; the next run downloads it again'
                                % (like or path, path, _reason(err))) from None
        finally:
            _close_quietly(handle)
            if os.path.lexists(tmp):
                _unlink_quietly(tmp)
            _OURS.discard(tmp)
