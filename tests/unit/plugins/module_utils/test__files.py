"""Tests of the host-file code (plugins/module_utils/_files.py), on real temporary directories.

Rows cover: file names a server may supply (traversal, absolute, control characters, hidden and
reserved names), destination validation before any request (trailing slash, relative paths,
invalid modes, unknown owners and groups, missing or read-only directories, a log_dest that is a
directory), and writing: the temporary file has the final mode and owner before it gets the
destination's name, an owner that cannot be applied keeps the old file, a full disk or read-only
directory leaves nothing behind, leftovers of killed runs are cleaned (never a live process's),
an identical download changes nothing, a failed download leaves the destination and its record.
"""

import errno
import hashlib
import json
import os
import stat
import subprocess
import sys

import pytest

from ansible_collections.cicd.gitlab.plugins.module_utils import _files as f
from ansible_collections.cicd.gitlab.plugins.module_utils._module import TaskFailure

CONTENT = b'PK\x03\x04 new artifact content\n'


class FakeModule:
    """The AnsibleModule methods HostFiles uses, recording their calls."""

    def __init__(self, selinux=False, check_mode=False):
        self.selinux = selinux
        self.check_mode = check_mode
        self.calls = []

    def selinux_enabled(self):
        return self.selinux

    def selinux_context(self, path):
        return ['system_u', 'object_r', 'old_t', 's0']

    def selinux_default_context(self, path):
        return ['system_u', 'object_r', 'default_t', 's0']

    def set_context_if_different(self, path, context, changed):
        self.calls.append(('context', path, list(context), os.path.exists(path)))
        return True

    def set_attributes_if_different(self, path, attributes, changed):
        self.calls.append(('attributes', path, attributes))
        return changed


def params(**kwargs):
    result = dict(mode=None, owner=None, group=None, seuser=None, serole=None, setype=None, selevel=None,
                  attributes=None, unsafe_writes=False)
    result.update(kwargs)
    return result


def files(module=None, umask=0o022, **kwargs):
    return f.HostFiles(module or FakeModule(), params(**kwargs), umask=umask)


def fetch_bytes(data=CONTENT):
    def fetch(handle):
        handle.write(data)
        return {'size': len(data), 'sha256': hashlib.sha256(data).hexdigest(), 'content_type': 'application/zip'}
    return fetch


def temp_files(directory):
    return sorted(name for name in os.listdir(str(directory)) if name.endswith('.part'))


def mode_of(path):
    return stat.S_IMODE(os.lstat(str(path)).st_mode)


def dead_pid():
    proc = subprocess.Popen([sys.executable, '-c', 'pass'])  # pylint: disable=consider-using-with
    proc.wait()
    return proc.pid


# ---- file names a server supplies ---------------------------------------------------------------------

HOSTILE_NAMES = ['../../etc/passwd', '/abs', '/etc/cron.d/x', '..', '.', '', 'a\\b', 'x\nname', 'tab\there', 'nul\x00x',
                 'esc\x1b[31m', '.bashrc', '.app.zip.cicd-gitlab', '.a.cicd-gitlab-1-ab.part', 'a' * 256, None, 42, 'dir/']


@pytest.mark.parametrize('name', HOSTILE_NAMES)
def test_a_hostile_server_file_name_is_never_used(name, tmp_path):
    chosen, warning = f.server_file_name(name)
    assert chosen == 'artifacts.zip'
    assert warning and 'artifacts.zip' in warning
    assert '\n' not in warning and '\x1b' not in warning and '\x00' not in warning
    assert os.path.dirname(os.path.join(str(tmp_path), chosen)) == str(tmp_path)


@pytest.mark.parametrize('name', ['artifacts.zip', 'app-1.2.tar.gz', 'r\u00e9sum\u00e9.pdf', 'a b', 'a' * 255])
def test_a_plain_server_file_name_is_kept(name):
    assert f.server_file_name(name) == (name, None)


@pytest.mark.parametrize('name, problem', [
    ('..', 'is ..'), ('', 'empty'), ('a/b', '/'), ('a\\b', '\\'), ('x\nname', 'control'), ('x\x7f', 'control'),
    ('a' * 256, 'longer than 255'), ('.x.cicd-gitlab', 'record'), ('.x.cicd-gitlab-12-ab.part', 'temporary'),
])
def test_name_problem(name, problem):
    assert problem in f.name_problem(name)


def test_temp_names_carry_the_pid_and_are_recognised():
    name = f.temp_name('app.zip')
    assert name.startswith('.app.zip.cicd-gitlab-%d-' % os.getpid()) and name.endswith('.part')
    assert f.leftover_pid('app.zip', name) == os.getpid()
    assert f.leftover_pid('app.zip', f.temp_name('app.zip', pid=77, token='ab12cd34')) == 77
    assert f.leftover_pid('app.zip', f.temp_name('other.zip')) is None
    assert f.leftover_pid('app.zip', '.app.zip.cicd-gitlab') is None
    assert f.leftover_pid('app', f.temp_name('app.zip')) is None
    long_name = 'n' * 255
    assert len(f.temp_name(long_name).encode()) <= 255
    assert f.leftover_pid(long_name, f.temp_name(long_name)) == os.getpid()


# ---- modes ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize('mode, base, expected', [
    ('0600', 0o644, 0o600), ('600', 0o644, 0o600), ('0o640', 0o644, 0o640), (0o640, 0o644, 0o640), ('04755', 0o644, 0o4755),
    ('u=rw,g=r,o=', 0o666, 0o640), ('g+w', 0o640, 0o660), ('o-r', 0o644, 0o640), ('a+X', 0o644, 0o644), ('u+x', 0o600, 0o700),
])
def test_parse_mode(mode, base, expected):
    assert f.parse_mode(mode, base) == expected
    assert f.mode_problem(mode) is None


@pytest.mark.parametrize('mode', ['rwx', '999', 'u+q', 'u', '', 'x=r', '0o17777', '010000', -1, 0o10000, True, 'u=rw;rm -rf /', '0644\n'])
def test_invalid_modes(mode):
    if mode == '0644\n':   # Python's int() strips the line end; the mode is valid
        assert f.mode_problem(mode) is None
        return
    problem = f.mode_problem(mode)
    assert problem and 'not a valid mode' in problem and '\n' not in problem


# ---- validation before any request ---------------------------------------------------------------------


def problems(**kwargs):
    return f.destination_problems(kwargs)


def test_valid_destinations(tmp_path):
    (tmp_path / 'drop').mkdir()
    assert problems(artifacts_dest=str(tmp_path / 'app.zip'), mode='0600', owner='root', group='0') == []
    assert problems(artifacts_dest=str(tmp_path / 'drop') + '/', log_dest=str(tmp_path / 'job.log'), owner='0') == []
    assert problems(artifacts_dest=str(tmp_path / 'drop'), artifact_path='dist/app.tar.gz') == []


def test_a_trailing_slash_on_a_missing_directory(tmp_path):
    found = problems(artifacts_dest=str(tmp_path / 'missing') + '/')
    assert found == ['artifacts_dest: %s/ ends with / but the directory does not exist' % (tmp_path / 'missing')]
    assert problems(log_dest=str(tmp_path / 'missing') + '/') == [
        'log_dest: %s/ ends with / but the directory does not exist' % (tmp_path / 'missing')]
    (tmp_path / 'file').write_bytes(b'x')
    assert 'ends with / but the directory does not exist' in problems(artifacts_dest=str(tmp_path / 'file') + '/')[0]


def test_a_relative_path_is_resolved_and_reported_absolute(tmp_path):
    found = f.destination_problems({'artifacts_dest': 'nowhere/app.zip'}, cwd=str(tmp_path))
    assert found == ['artifacts_dest: the directory %s does not exist' % (tmp_path / 'nowhere')]
    assert f.destination_problems({'artifacts_dest': 'app.zip'}, cwd=str(tmp_path)) == []
    assert f.absolute('a/../b.zip', cwd='/srv') == '/srv/b.zip'
    assert f.absolute('drop/', cwd='/srv') == '/srv/drop/'


def test_a_missing_parent_directory(tmp_path):
    assert problems(artifacts_dest=str(tmp_path / 'no' / 'app.zip')) == [
        'artifacts_dest: the directory %s does not exist' % (tmp_path / 'no')]


def test_log_dest_must_be_a_file_and_not_the_artifacts_file(tmp_path):
    assert problems(log_dest=str(tmp_path)) == ['log_dest must be a file, not the directory %s' % tmp_path]
    same = str(tmp_path / 'x')
    different = 'artifacts_dest and log_dest must be different files'
    assert different in problems(artifacts_dest=same, log_dest=same)
    assert different in problems(artifacts_dest=str(tmp_path), artifact_path='dist/x', log_dest=same)
    (tmp_path / 'real').write_bytes(b'x')
    os.symlink(str(tmp_path / 'real'), str(tmp_path / 'link'))
    assert different in problems(artifacts_dest=str(tmp_path / 'real'), log_dest=str(tmp_path / 'link'))


def test_a_destination_that_is_not_a_regular_file(tmp_path):
    os.mkfifo(str(tmp_path / 'fifo'))
    assert problems(artifacts_dest=str(tmp_path / 'fifo')) == ['artifacts_dest: %s exists and is not a regular file' % (tmp_path / 'fifo')]


@pytest.mark.parametrize('mode', ['rwx', '999', 'u+q'])
def test_an_invalid_mode_is_refused(tmp_path, mode):
    found = problems(artifacts_dest=str(tmp_path / 'a.zip'), mode=mode)
    assert len(found) == 1 and 'mode %s is not a valid mode' % mode in found[0]


def test_unknown_owner_and_group_are_refused(tmp_path):
    found = problems(artifacts_dest=str(tmp_path / 'a.zip'), owner='no-such-user-cicd', group='no-such-group-cicd')
    assert found == ['owner: there is no user no-such-user-cicd on the managed host',
                     'group: there is no group no-such-group-cicd on the managed host']
    assert problems(log_dest=str(tmp_path / 'a.log'), owner='x\nroot') == ['owner: there is no user x\\nroot on the managed host']


def test_a_directory_that_cannot_be_written(tmp_path):
    class ReadOnly(f.RealHost):
        @staticmethod
        def writable(directory):
            return False
    found = f.destination_problems({'artifacts_dest': str(tmp_path / 'a.zip')}, host=ReadOnly())
    assert found == ['artifacts_dest: the directory %s is not writable (no permission, or a read-only file system)' % tmp_path]


def test_artifact_path_file_name_must_be_writable():
    found = f.destination_problems({'artifacts_dest': '/srv/drop', 'artifact_path': 'dist/x\nname'}, host=f.DirectoriesOnly(lambda p: True))
    assert found == ['artifact_path: its file name x\\nname cannot be written on the managed host (it contains a control character)']


# ---- writing ---------------------------------------------------------------------------------------------


def test_a_new_file_has_its_final_mode_before_it_gets_its_name(tmp_path, monkeypatch):
    dest = tmp_path / 'app.zip'
    seen = []
    real_replace = os.replace

    def watching_replace(src, dst):
        seen.append((mode_of(src), os.lstat(src).st_uid, os.path.exists(dst)))
        return real_replace(src, dst)
    monkeypatch.setattr(f.os, 'replace', watching_replace)
    info = files(mode='0600', owner=str(os.geteuid())).write(str(dest), fetch_bytes())
    assert seen == [(0o600, os.geteuid(), False)]
    assert mode_of(dest) == 0o600 and dest.read_bytes() == CONTENT
    assert info == {'path': str(dest), 'size': len(CONTENT), 'sha256': hashlib.sha256(CONTENT).hexdigest(), 'changed': True,
                    'replaced': True}
    assert temp_files(tmp_path) == []


def test_the_temporary_file_is_private_while_downloading(tmp_path):
    modes = []

    def fetch(handle):
        modes.append((mode_of(handle.name), os.path.basename(handle.name)))
        return fetch_bytes()(handle)
    files(mode='0644').write(str(tmp_path / 'app.zip'), fetch)
    assert modes[0][0] == 0o600
    assert f.leftover_pid('app.zip', modes[0][1]) == os.getpid()


@pytest.mark.parametrize('existing, mode, umask, expected', [
    (None, None, 0o022, 0o644), (None, None, 0o077, 0o600), (0o640, None, 0o022, 0o640),
    (0o640, 'g+w', 0o022, 0o660), (None, 'go=', 0o022, 0o600), (None, 'u=rwx', 0o022, 0o744), (0o755, '0600', 0o022, 0o600),
])
def test_the_final_mode(tmp_path, existing, mode, umask, expected):
    dest = tmp_path / 'app.zip'
    if existing is not None:
        dest.write_bytes(b'old')
        os.chmod(str(dest), existing)
    files(mode=mode, umask=umask).write(str(dest), fetch_bytes())
    assert mode_of(dest) == expected


def test_an_identical_download_changes_nothing(tmp_path):
    dest = tmp_path / 'app.zip'
    dest.write_bytes(CONTENT)
    os.chmod(str(dest), 0o640)
    before = os.stat(str(dest)).st_ino
    info = files().write(str(dest), fetch_bytes())
    assert info['changed'] is False and info['replaced'] is False
    assert os.stat(str(dest)).st_ino == before and temp_files(tmp_path) == []
    # Only the attributes differ: changed, content kept.
    info = files(mode='0600').write(str(dest), fetch_bytes())
    assert info['changed'] is True and info['replaced'] is False and mode_of(dest) == 0o600


def test_an_owner_that_cannot_be_applied_keeps_the_old_file(tmp_path, monkeypatch):
    dest = tmp_path / 'app.zip'
    dest.write_bytes(b'old content')
    (tmp_path / '.app.zip.cicd-gitlab').write_text('{"old": true}')

    def refuse(fd, uid, gid):
        raise PermissionError(errno.EPERM, 'Operation not permitted')
    monkeypatch.setattr(f.os, 'fchown', refuse)
    with pytest.raises(f.FileError) as caught:
        files(mode='0600', owner='12345').write(str(dest), fetch_bytes(), record=lambda info: {'new': True})
    message = str(caught.value)
    assert 'owner=12345' in message and 'Operation not permitted (EPERM)' in message and 'left as it was' in message
    assert dest.read_bytes() == b'old content'
    assert (tmp_path / '.app.zip.cicd-gitlab').read_text() == '{"old": true}'
    assert temp_files(tmp_path) == []


def test_a_real_chown_to_another_user(tmp_path):
    if os.geteuid() != 0:
        pytest.skip('needs root')
    dest = tmp_path / 'app.zip'
    files(mode='0600', owner='65534', group='65534').write(str(dest), fetch_bytes())
    info = os.stat(str(dest))
    assert (info.st_uid, info.st_gid, mode_of(dest)) == (65534, 65534, 0o600)


def test_a_full_disk_leaves_nothing_behind(tmp_path):
    dest = tmp_path / 'app.zip'
    dest.write_bytes(b'old content')
    (tmp_path / '.app.zip.cicd-gitlab').write_text('{"old": true}')

    def fetch(handle):
        handle.write(b'partial')
        raise OSError(errno.ENOSPC, 'No space left on device')
    with pytest.raises(f.FileError) as caught:
        files().write(str(dest), fetch, record=lambda info: {'new': True})
    assert 'No space left on device (ENOSPC)' in str(caught.value) and str(dest) in str(caught.value)
    assert dest.read_bytes() == b'old content'
    assert (tmp_path / '.app.zip.cicd-gitlab').read_text() == '{"old": true}'
    assert temp_files(tmp_path) == []


def test_a_full_disk_seen_only_when_closing(tmp_path, monkeypatch):
    """Some file systems (NFS, quotas) report ENOSPC when the file is closed, not on write()."""
    class ClosingFails:
        def __init__(self, handle):
            self._handle = handle
            self._failed = False

        def __getattr__(self, name):
            return getattr(self._handle, name)

        def close(self):
            if not self._failed:
                self._failed = True
                raise OSError(errno.ENOSPC, 'No space left on device')
            self._handle.close()

    real_open = open

    def opener(path, mode='r', **kwargs):
        handle = real_open(path, mode, **kwargs)
        return ClosingFails(handle) if mode == 'x+b' else handle
    monkeypatch.setattr(f, 'open', opener, raising=False)
    dest = tmp_path / 'app.zip'
    dest.write_bytes(b'old content')
    with pytest.raises(f.FileError, match=r'No space left on device \(ENOSPC\)'):
        files().write(str(dest), fetch_bytes())
    assert dest.read_bytes() == b'old content' and temp_files(tmp_path) == []


def test_a_read_only_directory_is_a_clear_error(tmp_path, monkeypatch):
    def read_only(path, flags):
        raise OSError(errno.EROFS, 'Read-only file system')
    monkeypatch.setattr(f, '_private_opener', read_only)
    with pytest.raises(f.FileError) as caught:
        files().write(str(tmp_path / 'app.zip'), fetch_bytes())
    assert 'cannot create a temporary file in %s' % tmp_path in str(caught.value)
    assert 'Read-only file system (EROFS)' in str(caught.value)
    assert os.listdir(str(tmp_path)) == []


def test_a_directory_without_write_permission(tmp_path):
    if os.geteuid() == 0:
        pytest.skip('root writes in a 0500 directory')
    os.chmod(str(tmp_path), 0o500)
    try:
        with pytest.raises(f.FileError, match='Permission denied'):
            files().write(str(tmp_path / 'app.zip'), fetch_bytes())
    finally:
        os.chmod(str(tmp_path), 0o700)


def test_a_failed_download_leaves_the_destination_and_its_record(tmp_path):
    class Rejected(Exception):
        pass
    dest = tmp_path / 'app.zip'
    dest.write_bytes(b'old content')
    (tmp_path / '.app.zip.cicd-gitlab').write_text('{"old": true}')

    def fetch(handle):
        handle.write(b'<!DOCTYPE html><title>Sign in</title>')
        raise Rejected('an HTML page, not an archive')
    with pytest.raises(Rejected):
        files().write(str(dest), fetch, record=lambda info: {'new': True})
    assert dest.read_bytes() == b'old content'
    assert (tmp_path / '.app.zip.cicd-gitlab').read_text() == '{"old": true}'
    assert temp_files(tmp_path) == []


def test_a_size_that_does_not_match_what_was_written(tmp_path):
    def fetch(handle):
        handle.write(b'abc')
        return {'size': 10, 'sha256': 'x'}
    with pytest.raises(f.FileError, match='holds 3 bytes but 10 were downloaded'):
        files().write(str(tmp_path / 'app.zip'), fetch)
    assert os.listdir(str(tmp_path)) == []


def test_the_record_is_written_after_the_destination(tmp_path, monkeypatch):
    dest = tmp_path / 'app.zip'
    order = []
    real_replace = os.replace

    def watching_replace(src, dst):
        order.append(os.path.basename(dst))
        return real_replace(src, dst)
    monkeypatch.setattr(f.os, 'replace', watching_replace)
    files(mode='0640').write(str(dest), fetch_bytes(), record=lambda info: {'size': info['size'], 'sha256': info['sha256']})
    assert order == ['app.zip', '.app.zip.cicd-gitlab']
    record = tmp_path / '.app.zip.cicd-gitlab'
    assert json.loads(record.read_text()) == {'size': len(CONTENT), 'sha256': hashlib.sha256(CONTENT).hexdigest()}
    assert mode_of(record) == 0o640
    assert temp_files(tmp_path) == []


def test_a_record_that_cannot_be_written_is_removed(tmp_path, monkeypatch):
    dest = tmp_path / 'app.zip'
    record = tmp_path / '.app.zip.cicd-gitlab'
    record.write_text('{"old": true}')
    real_replace = os.replace

    def failing_replace(src, dst):
        if dst.endswith('.cicd-gitlab'):
            raise OSError(errno.EIO, 'Input/output error')
        return real_replace(src, dst)
    monkeypatch.setattr(f.os, 'replace', failing_replace)
    with pytest.raises(f.FileError, match='the next run downloads it again'):
        files().write(str(dest), fetch_bytes(), record=lambda info: {'new': True})
    assert dest.read_bytes() == CONTENT and not record.exists() and temp_files(tmp_path) == []


def test_leftovers_of_killed_runs_are_cleaned_never_a_live_one(tmp_path):
    dead, live = dead_pid(), os.getppid()
    names = {
        'dead': f.temp_name('app.zip', pid=dead, token='aaaa1111'),
        'dead_record': f.temp_name('.app.zip.cicd-gitlab', pid=dead, token='bbbb2222'),
        'live': f.temp_name('app.zip', pid=live, token='cccc3333'),
        'other': f.temp_name('other.zip', pid=dead, token='dddd4444'),
    }
    for name in names.values():
        (tmp_path / name).write_bytes(b'partial')
    host = files()
    host.write(str(tmp_path / 'app.zip'), fetch_bytes(), record=lambda info: {})
    assert temp_files(tmp_path) == sorted([names['live'], names['other']])
    assert sorted(os.path.basename(p) for p in host.leftovers) == sorted([names['dead'], names['dead_record']])


def test_clean_leftovers_asks_whether_the_pid_runs(tmp_path):
    for pid in (101, 102):
        (tmp_path / f.temp_name('app.zip', pid=pid, token='ab')).write_bytes(b'x')
    (tmp_path / f.temp_name('app.zip', pid=103, token='cd')).mkdir()
    removed = f.clean_leftovers(str(tmp_path), 'app.zip', alive=lambda pid: pid == 102)
    assert removed == [f.temp_name('app.zip', pid=101, token='ab')]
    assert len(os.listdir(str(tmp_path))) == 2


def test_a_symbolic_link_at_the_destination_is_replaced_not_followed(tmp_path):
    target = tmp_path / 'elsewhere'
    target.write_bytes(b'not to be touched')
    os.symlink(str(target), str(tmp_path / 'app.zip'))
    files().write(str(tmp_path / 'app.zip'), fetch_bytes())
    assert not os.path.islink(str(tmp_path / 'app.zip'))
    assert target.read_bytes() == b'not to be touched'


def test_selinux_context_is_given_to_the_temporary_file(tmp_path):
    module = FakeModule(selinux=True)
    dest = tmp_path / 'app.zip'
    files(module, setype='httpd_sys_content_t').write(str(dest), fetch_bytes())
    kind, path, context, existed = module.calls[0]
    assert kind == 'context' and existed and path != str(dest) and f.leftover_pid('app.zip', os.path.basename(path))
    assert context == ['system_u', 'object_r', 'httpd_sys_content_t', 's0']
    dest.write_bytes(b'other')
    module.calls[:] = []
    files(module).write(str(dest), fetch_bytes())
    assert module.calls[0][2] == ['system_u', 'object_r', 'old_t', 's0']


def test_attributes_are_applied_after_the_move(tmp_path):
    module = FakeModule()
    files(module, attributes='+A').write(str(tmp_path / 'app.zip'), fetch_bytes())
    assert module.calls == [('attributes', str(tmp_path / 'app.zip'), '+A')]


@pytest.mark.parametrize('unsafe', [False, True])
def test_a_busy_destination_and_unsafe_writes(tmp_path, monkeypatch, unsafe):
    dest = tmp_path / 'app.zip'
    dest.write_bytes(b'old content')

    def busy(src, dst):
        raise OSError(errno.EBUSY, 'Device or resource busy')
    monkeypatch.setattr(f.os, 'replace', busy)
    host = files(mode='0600', unsafe_writes=unsafe)
    if unsafe:
        assert host.write(str(dest), fetch_bytes())['changed'] is True
        assert dest.read_bytes() == CONTENT and mode_of(dest) == 0o600
    else:
        with pytest.raises(f.FileError, match='Device or resource busy'):
            host.write(str(dest), fetch_bytes())
        assert dest.read_bytes() == b'old content'
    assert temp_files(tmp_path) == []


def test_keep_applies_the_attributes_and_respects_check_mode(tmp_path):
    dest = tmp_path / 'app.zip'
    dest.write_bytes(b'x')
    os.chmod(str(dest), 0o644)
    assert files(FakeModule(check_mode=True), mode='0600').keep(str(dest)) is True
    assert mode_of(dest) == 0o644
    assert files(mode='0600').keep(str(dest)) is True
    assert mode_of(dest) == 0o600
    assert files(mode='0600').keep(str(dest)) is False
    assert files(mode='0600').keep(str(tmp_path / 'missing')) is False


def test_regular_file_stat_and_records(tmp_path):
    (tmp_path / 'a').write_bytes(b'abc')
    os.symlink(str(tmp_path / 'a'), str(tmp_path / 'link'))
    assert f.regular_file_stat(str(tmp_path / 'a')) == {'size': 3, 'sha256': hashlib.sha256(b'abc').hexdigest()}
    assert f.regular_file_stat(str(tmp_path / 'link')) is None
    assert f.regular_file_stat(str(tmp_path)) is None
    (tmp_path / 'r').write_text('not json')
    assert f.read_record(str(tmp_path / 'r')) is None
    assert f.read_record(str(tmp_path / 'missing')) is None
    assert f.record_name_for('/srv/drop/app.zip') == '/srv/drop/.app.zip.cicd-gitlab'


# ---- gitlab_ci_job's use: a server-supplied archive name never leaves artifacts_dest ------------------------


# The job module's failures leave through run_module() as a TaskFailure.
Failed = TaskFailure


class JobModule(FakeModule):
    """Enough of AnsibleModule for gitlab_ci_job's JobTask."""

    def __init__(self, **options):
        from ansible_collections.cicd.gitlab.plugins.modules import gitlab_ci_job  # pylint: disable=import-outside-toplevel
        super().__init__()
        # Every option with its default, as AnsibleModule hands them over.
        self.params = dict((name, spec.get('default')) for name, spec in gitlab_ci_job.argument_spec().items())
        self.params.update(params(), project='acme/app', api_url='https://gitlab.example.com', api_token='t')
        self.params.update(options)
        self.warnings = []

    def warn(self, text):
        self.warnings.append(text)

    def fail_json(self, msg, **result):
        raise AssertionError('module code calls fail_json: %s' % msg)


def job_task(**options):
    from ansible_collections.cicd.gitlab.plugins.modules import gitlab_ci_job  # pylint: disable=import-outside-toplevel
    module = JobModule(**options)
    return gitlab_ci_job.JobTask(module, client=None), module


@pytest.mark.parametrize('filename', ['../../etc/passwd', '/etc/passwd', '..', '.', '', 'a\\b', 'x\nname', '.svc.zip.cicd-gitlab'])
def test_a_hostile_archive_name_is_written_as_artifacts_zip_in_the_directory(tmp_path, filename):
    task, module = job_task(artifacts_dest=str(tmp_path) + '/')
    target = task.artifacts_target({'id': 12, 'name': 'build', 'artifacts_file': {'filename': filename, 'size': 3}})
    assert target == str(tmp_path / 'artifacts.zip')
    assert len(module.warnings) == 1 and 'job 12 (build)' in module.warnings[0] and 'artifacts.zip' in module.warnings[0]


def test_a_plain_archive_name_and_an_artifact_path_name(tmp_path):
    task, module = job_task(artifacts_dest=str(tmp_path))
    assert task.artifacts_target({'id': 12, 'artifacts_file': {'filename': 'svc.zip'}}) == str(tmp_path / 'svc.zip')
    assert task.artifacts_target({'id': 12, 'artifacts_file': {}}) == str(tmp_path / 'artifacts.zip')
    task, module = job_task(artifacts_dest=str(tmp_path), artifact_path='dist/VERSION')
    assert task.artifacts_target({'id': 12, 'artifacts_file': {'filename': '../x'}}) == str(tmp_path / 'VERSION')
    assert module.warnings == []


def test_a_target_that_is_a_directory_or_the_log(tmp_path):
    (tmp_path / 'svc.zip').mkdir()
    task, _module = job_task(artifacts_dest=str(tmp_path))
    with pytest.raises(Failed, match='is a directory'):
        task.artifacts_target({'id': 12, 'artifacts_file': {'filename': 'svc.zip'}})
    task, _module = job_task(artifacts_dest=str(tmp_path), log_dest=str(tmp_path / 'a.zip'))
    with pytest.raises(Failed, match='must be different files'):
        task.artifacts_target({'id': 12, 'artifacts_file': {'filename': 'a.zip'}})


# ---- gitlab_ci_job's downloads through the client, which streams into a handle ----------------------------------


class Refused(Exception):
    """Stands for the client's GitLabAnswerError (an HTML page, a size mismatch)."""


class HandleClient:
    """A client with the handle interface: ``download(path, handle, ...)``; a retried cut rewinds and truncates."""

    def __init__(self, body=CONTENT, refuse=False):
        self.body = body
        self.refuse = refuse
        self.calls = []

    def download(self, path, handle, params=None, max_size=None, expect=None):
        handle.write(b'cut after a few bytes')
        handle.seek(0)
        handle.truncate()
        handle.write(self.body)
        if self.refuse:
            raise Refused('an HTML page (Sign in), not the artifacts archive')
        return {'size': len(self.body), 'sha256': hashlib.sha256(self.body).hexdigest(), 'content_type': 'application/zip'}

    def download_artifacts(self, project, job_id, handle, max_size=None, size=None):
        self.calls.append(('archive', project, job_id, max_size, size))
        return self.download('jobs/%d/artifacts' % job_id, handle, max_size=max_size, expect={'kind': 'archive', 'size': size})


JOB = {'id': 12, 'name': 'build', 'status': 'success', 'pipeline': {'id': 5, 'project_id': 3},
       'artifacts_file': {'filename': 'artifacts.zip', 'size': len(CONTENT)}}


def downloading_task(client, **options):
    task, module = job_task(**options)
    task.client = client
    return task, module


def test_fetch_artifacts_writes_the_file_then_its_record(tmp_path):
    client = HandleClient()
    task, _module = downloading_task(client, artifacts_dest=str(tmp_path), mode='0640')
    info = task.fetch_artifacts(dict(JOB))
    dest = tmp_path / 'artifacts.zip'
    assert info['changed'] is True and dest.read_bytes() == CONTENT and mode_of(dest) == 0o640
    record = json.loads((tmp_path / '.artifacts.zip.cicd-gitlab').read_text())
    assert record == {'project': '3', 'job_id': 12, 'artifact_path': None, 'size': len(CONTENT),
                      'sha256': hashlib.sha256(CONTENT).hexdigest()}
    assert temp_files(tmp_path) == []
    assert client.calls == [('archive', 'acme/app', 12, None, len(CONTENT))]
    # Up to date: not downloaded again.
    again, _module = downloading_task(HandleClient(body=b'never read'), artifacts_dest=str(tmp_path), mode='0640')
    assert again.fetch_artifacts(dict(JOB))['changed'] is False


def test_a_refused_download_leaves_the_file_and_its_record(tmp_path):
    dest, record = tmp_path / 'artifacts.zip', tmp_path / '.artifacts.zip.cicd-gitlab'
    dest.write_bytes(b'the previous archive')
    record.write_text('{"job_id": 11}')
    task, _module = downloading_task(HandleClient(body=b'<!DOCTYPE html><title>Sign in</title>', refuse=True),
                                     artifacts_dest=str(tmp_path), force=True)
    with pytest.raises(Refused):
        task.fetch_artifacts(dict(JOB))
    assert dest.read_bytes() == b'the previous archive' and record.read_text() == '{"job_id": 11}'
    assert temp_files(tmp_path) == []


def test_a_host_failure_fails_the_task_with_its_message(tmp_path, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, 'No space left on device')
    monkeypatch.setattr(f, '_private_opener', full)
    task, _module = downloading_task(HandleClient(), artifacts_dest=str(tmp_path / 'a.zip'))
    with pytest.raises(Failed, match=r'cannot create a temporary file in .*No space left on device \(ENOSPC\)'):
        task.fetch_artifacts(dict(JOB))


def test_nul_characters_are_problems_not_exceptions(tmp_path):
    assert problems(artifacts_dest=str(tmp_path) + '/a\x00b') == ['artifacts_dest contains a NUL character, which no file name can hold']
    assert problems(log_dest='x\x00', artifacts_dest=str(tmp_path), artifact_path='a/b') == [
        'log_dest contains a NUL character, which no file name can hold']
    assert problems(log_dest=str(tmp_path / 'a.log'), owner='ro\x00ot', group='wh\x00eel') == [
        'owner: there is no user ro\\x00ot on the managed host', 'group: there is no group wh\\x00eel on the managed host']


# ---- the record beside a destination (artifacts: identity from _jobs.expected_record) ----------------

EXPECTED = {'project': '3', 'job_id': 12, 'artifact_path': None}
RECORD = dict(project='3', job_id=12, artifact_path=None, size=10, sha256='ab' * 32)
STAT = {'size': 10, 'sha256': 'ab' * 32}


@pytest.mark.parametrize('record, expected, stat, matches', [
    (RECORD, EXPECTED, STAT, True),
    (dict(RECORD, job_id='12'), EXPECTED, STAT, False),       # an edited record: fetched again
    (RECORD, EXPECTED, None, False),
    (None, EXPECTED, STAT, False),
    ('garbage', EXPECTED, STAT, False),
    (dict(RECORD, job_id=13), EXPECTED, STAT, False),
    (dict(RECORD, job_id='x'), EXPECTED, STAT, False),
    (dict(RECORD, project='4'), EXPECTED, STAT, False),
    (RECORD, dict(EXPECTED, artifact_path='dist/app'), STAT, False),
    (dict(RECORD, artifact_path='dist/app'), dict(EXPECTED, artifact_path='dist/app'), STAT, True),
    (RECORD, EXPECTED, {'size': 11, 'sha256': 'ab' * 32}, False),
    (RECORD, EXPECTED, {'size': 10, 'sha256': 'cd' * 32}, False),
])
def test_record_matches(record, expected, stat, matches):
    assert f.record_matches(record, expected, stat) is matches


def test_record_round_trip_and_path():
    record = f.build_record(EXPECTED, {'path': '/srv/app.zip', 'size': 10, 'sha256': 'ab' * 32})
    assert json.loads(json.dumps(record)) == RECORD
    assert f.record_matches(json.loads(json.dumps(record)), EXPECTED, STAT)
    assert f.record_name_for('/srv/drop/app.zip') == '/srv/drop/.app.zip.cicd-gitlab'


# ---- sync: fetch only what is needed ------------------------------------------------------------------

IDENTITY = {'project': 'acme/app', 'job_id': 12, 'artifact_path': None}


def counting(data=CONTENT):
    fetches = []

    def fetch(handle):
        fetches.append(1)
        return fetch_bytes(data)(handle)
    return fetch, fetches


def digest_of(data):
    return lambda: {'size': len(data), 'sha256': hashlib.sha256(data).hexdigest()}


def test_sync_with_an_identity_fetches_once_then_keeps_the_file(tmp_path):
    dest = str(tmp_path / 'app.zip')
    fetch, fetches = counting()
    first = files().sync(dest, fetch, identity=IDENTITY)
    assert first['outcome'] == 'written' and first['changed'] is True and len(fetches) == 1
    assert f.read_record(f.record_name_for(dest)) == dict(IDENTITY, size=len(CONTENT), sha256=first['sha256'])
    again = files().sync(dest, fetch, identity=IDENTITY)
    assert again == dict(first, changed=False, outcome='kept') and len(fetches) == 1
    other_job = files().sync(dest, fetch, identity=dict(IDENTITY, job_id=13))
    assert other_job['outcome'] == 'same' and other_job['changed'] is False and len(fetches) == 2
    forced = files().sync(dest, fetch, identity=dict(IDENTITY, job_id=13), force=True)
    assert forced['outcome'] == 'same' and len(fetches) == 3


def test_sync_fetches_again_when_the_file_no_longer_matches_its_record(tmp_path):
    dest = str(tmp_path / 'app.zip')
    fetch, fetches = counting()
    files().sync(dest, fetch, identity=IDENTITY)
    with open(dest, 'wb') as handle:
        handle.write(b'X' * len(CONTENT))          # same size, other content
    assert files().sync(dest, fetch, identity=IDENTITY)['outcome'] == 'written' and len(fetches) == 2


def test_sync_keeps_the_file_but_gives_it_the_mode_asked_for(tmp_path):
    dest = str(tmp_path / 'app.zip')
    fetch, fetches = counting()
    files(mode='0644').sync(dest, fetch, identity=IDENTITY)
    kept = files(mode='0600').sync(dest, fetch, identity=IDENTITY)
    assert kept['outcome'] == 'kept' and kept['changed'] is True and mode_of(dest) == 0o600 and len(fetches) == 1


def test_sync_in_check_mode_fetches_and_writes_nothing(tmp_path):
    dest = str(tmp_path / 'app.zip')
    fetch, fetches = counting()
    would = files(FakeModule(check_mode=True)).sync(dest, fetch, identity=IDENTITY)
    assert would == {'path': dest, 'size': None, 'sha256': None, 'changed': True, 'outcome': 'would write'}
    assert fetches == [] and os.listdir(str(tmp_path)) == []
    files().sync(dest, fetch, identity=IDENTITY)
    assert files(FakeModule(check_mode=True)).sync(dest, fetch, identity=IDENTITY)['outcome'] == 'kept'


def test_sync_in_check_mode_compares_with_a_digest_instead_of_fetching(tmp_path):
    dest = str(tmp_path / 'job.log')
    fetch, fetches = counting(b'log\n')
    check = files(FakeModule(check_mode=True))
    assert check.sync(dest, fetch, digest=digest_of(b'log\n')) == {
        'path': dest, 'size': 4, 'sha256': hashlib.sha256(b'log\n').hexdigest(), 'changed': True, 'outcome': 'would write'}
    assert files().sync(dest, fetch, digest=digest_of(b'log\n'))['outcome'] == 'written'
    assert check.sync(dest, fetch, digest=digest_of(b'log\n'))['outcome'] == 'kept'
    assert check.sync(dest, fetch, digest=digest_of(b'log, longer\n'))['outcome'] == 'would write'
    assert len(fetches) == 1
    # Outside check mode a log is always fetched (a running job's log grows) and compared.
    assert files().sync(dest, fetch, digest=digest_of(b'log\n'))['outcome'] == 'same' and len(fetches) == 2
    assert sorted(os.listdir(str(tmp_path))) == ['job.log']
