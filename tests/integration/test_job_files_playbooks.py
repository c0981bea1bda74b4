"""Files on the managed host, through real ansible-playbook runs of gitlab_ci_job against the fake.

Every destination option is checked before the first request (the journal stays empty); a new file
gets the mode asked for; a run killed while downloading leaves a temporary file with a recognisable
name that the next run removes (a live process's file is never touched); check mode writes nothing;
a download that fails leaves the destination and its record as they were.
"""

import hashlib
import json
import os
import signal
import stat
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.fake_only

PLAYBOOK = 'gitlab_ci_job/files_job.yml'
TASK = 'Act on the job'
SVC = 'acme/svc'


def act(gitlab, extra, check=False):
    return gitlab.play(PLAYBOOK, dict({'test_project': SVC}, **extra), check=check)


def ok(gitlab, extra, check=False):
    return act(gitlab, extra, check=check).assert_ok().task(TASK)


def failed(gitlab, extra, check=False):
    return act(gitlab, extra, check=check).assert_failed().failure()


def build_job(gitlab):
    """Run a pipeline of acme/svc and wait for its build job (which has artifacts)."""
    result = ok(gitlab, {'test_state': 'run', 'test_ref': 'main', 'test_name': 'build', 'test_wait': True})
    return result['result']['job']


def mode_of(path):
    return stat.S_IMODE(os.lstat(str(path)).st_mode)


def temp_files(directory):
    return sorted(name for name in os.listdir(str(directory)) if name.endswith('.part'))


def dead_pid():
    proc = subprocess.Popen([sys.executable, '-c', 'pass'])  # pylint: disable=consider-using-with
    proc.wait()
    return proc.pid


def leftover(directory, name, pid, token='0badc0de'):
    path = os.path.join(str(directory), '.%s.cicd-gitlab-%d-%s.part' % (name, pid, token))
    with open(path, 'wb') as handle:
        handle.write(b'partial download')
    return os.path.basename(path)


@pytest.fixture
def dest_dir(tmp_path):
    folder = tmp_path / 'dest'
    folder.mkdir()
    return folder


# ---- modes ------------------------------------------------------------------------------------------------


def test_a_new_archive_and_its_record_get_mode_0600(gitlab, dest_dir):
    build = build_job(gitlab)
    dest = dest_dir / 'svc.zip'
    result = ok(gitlab, {'test_job_id': build['id'], 'test_artifacts_dest': str(dest), 'test_mode': '0600',
                         'test_owner': str(os.geteuid()), 'test_group': str(os.getegid())})
    assert result['status'] == 'changed'
    assert mode_of(dest) == 0o600
    assert mode_of(dest_dir / '.svc.zip.cicd-gitlab') == 0o600
    assert result['result']['artifacts']['sha256'] == hashlib.sha256(dest.read_bytes()).hexdigest()
    assert temp_files(dest_dir) == []
    # Up to date: nothing downloaded, nothing changed; a new mode is applied in place.
    assert ok(gitlab, {'test_job_id': build['id'], 'test_artifacts_dest': str(dest), 'test_mode': '0600'})['status'] == 'ok'
    assert ok(gitlab, {'test_job_id': build['id'], 'test_artifacts_dest': str(dest), 'test_mode': 'g+r'})['status'] == 'changed'
    assert mode_of(dest) == 0o640


def test_a_new_log_gets_a_symbolic_mode(gitlab, dest_dir):
    build = build_job(gitlab)
    dest = dest_dir / 'build.log'
    result = ok(gitlab, {'test_job_id': build['id'], 'test_log_dest': str(dest), 'test_mode': 'u=rw,go='})
    assert result['status'] == 'changed' and mode_of(dest) == 0o600
    assert dest.read_text() == 'compiling svc\nbuild ok\n'
    assert ok(gitlab, {'test_job_id': build['id'], 'test_log_dest': str(dest), 'test_mode': 'u=rw,go='})['status'] == 'ok'


def test_a_replaced_file_keeps_its_mode(gitlab, dest_dir):
    build = build_job(gitlab)
    dest = dest_dir / 'build.log'
    dest.write_text('an older log\n')
    os.chmod(str(dest), 0o640)
    assert ok(gitlab, {'test_job_id': build['id'], 'test_log_dest': str(dest)})['status'] == 'changed'
    assert mode_of(dest) == 0o640 and dest.read_text() == 'compiling svc\nbuild ok\n'


# ---- refused before any request ------------------------------------------------------------------------------

BAD_DESTINATIONS = [
    ({'test_artifacts_dest': '{dir}/svc.zip', 'test_owner': 'no-such-user-cicd'}, 'there is no user no-such-user-cicd'),
    ({'test_artifacts_dest': '{dir}/svc.zip', 'test_group': 'no-such-group-cicd'}, 'there is no group no-such-group-cicd'),
    ({'test_log_dest': '{dir}/job.log', 'test_mode': 'rwx'}, 'mode rwx is not a valid mode'),
    ({'test_log_dest': '{dir}/job.log', 'test_mode': '999'}, 'mode 999 is not a valid mode'),
    ({'test_artifacts_dest': '{dir}/missing/'}, '{dir}/missing/ ends with / but the directory does not exist'),
    ({'test_artifacts_dest': '{dir}/missing/svc.zip'}, 'the directory {dir}/missing does not exist'),
    ({'test_log_dest': '{dir}'}, 'log_dest must be a file, not the directory {dir}'),
    ({'test_log_dest': '{dir}/same', 'test_artifacts_dest': '{dir}/same'}, 'artifacts_dest and log_dest must be different files'),
    ({'test_artifacts_dest': 'relative-cicd-missing/svc.zip'}, '/relative-cicd-missing does not exist'),
]


@pytest.mark.parametrize('extra, needle', BAD_DESTINATIONS, ids=['case%02d' % i for i in range(len(BAD_DESTINATIONS))])
def test_a_bad_destination_is_refused_before_any_request(gitlab, dest_dir, extra, needle):
    extra = dict((key, value.replace('{dir}', str(dest_dir))) for key, value in extra.items())
    gitlab.clear_journal()
    failure = failed(gitlab, dict(extra, test_job_id=1))
    assert needle.replace('{dir}', str(dest_dir)) in failure['msg'], failure['msg']
    assert failure['msg'].startswith('Nothing was done; problem with the options')
    assert gitlab.journal() == []
    assert os.listdir(str(dest_dir)) == []


# ---- killed runs, check mode, failed downloads ----------------------------------------------------------------


def test_leftovers_of_killed_runs_are_cleaned_but_not_a_live_ones(gitlab, dest_dir):
    build = build_job(gitlab)
    dead = leftover(dest_dir, 'svc.zip', dead_pid())
    live = leftover(dest_dir, 'svc.zip', os.getpid())
    other = leftover(dest_dir, 'other.zip', dead_pid())
    result = ok(gitlab, {'test_job_id': build['id'], 'test_artifacts_dest': str(dest_dir / 'svc.zip')})
    assert temp_files(dest_dir) == sorted([live, other])
    assert any(dead in action for action in result['result']['actions'])


def test_check_mode_writes_nothing(gitlab, dest_dir):
    build = build_job(gitlab)
    dead = leftover(dest_dir, 'svc.zip', dead_pid())
    before = sorted(os.listdir(str(dest_dir)))
    predicted = ok(gitlab, {'test_job_id': build['id'], 'test_artifacts_dest': str(dest_dir / 'svc.zip'), 'test_mode': '0600',
                            'test_log_dest': str(dest_dir / 'build.log')}, check=True)
    assert predicted['status'] == 'changed'
    assert sorted(os.listdir(str(dest_dir))) == before == [dead]


def test_a_cut_download_leaves_the_destination_and_its_record(gitlab, dest_dir):
    build = build_job(gitlab)
    dest = dest_dir / 'svc.zip'
    assert ok(gitlab, {'test_job_id': build['id'], 'test_artifacts_dest': str(dest)})['status'] == 'changed'
    content, record = dest.read_bytes(), (dest_dir / '.svc.zip.cicd-gitlab').read_bytes()
    gitlab.add_fault(method='GET', path='/jobs/%d/artifacts$' % build['id'], drop='after', count=10)
    failure = failed(gitlab, {'test_job_id': build['id'], 'test_artifacts_dest': str(dest), 'test_force': True, 'test_api_retries': 0})
    assert 'cut' in failure['msg']
    assert dest.read_bytes() == content and (dest_dir / '.svc.zip.cicd-gitlab').read_bytes() == record
    assert temp_files(dest_dir) == []


def _start_playbook(gitlab, extra):
    """ansible-playbook in its own session, as gitlab.play() would run it, without waiting for it."""
    from tests.conftest import COLLECTIONS_PATH  # pylint: disable=import-outside-toplevel
    from tests.integration.harness import TARGETS  # pylint: disable=import-outside-toplevel
    variables = dict({'ansible_python_interpreter': sys.executable, 'test_project': SVC}, **extra)
    varfile = os.path.join(gitlab.workdir, 'killed-vars.json')
    with open(varfile, 'w', encoding='utf-8') as handle:
        json.dump(variables, handle)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_PATH, GITLAB_URL=gitlab.url, GITLAB_TOKEN=gitlab.token,
               ANSIBLE_LOCAL_TEMP=os.path.join(gitlab.workdir, 'tmp'), ANSIBLE_NOCOLOR='1')
    args = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), os.path.join(TARGETS, PLAYBOOK), '-e', '@' + varfile]
    return subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,  # pylint: disable=consider-using-with
                            start_new_session=True)


def test_a_run_killed_while_downloading_is_cleaned_up_by_the_next(gitlab, dest_dir):
    build = build_job(gitlab)
    dest = dest_dir / 'svc.zip'
    gitlab.add_fault(method='GET', path='/jobs/%d/artifacts$' % build['id'], delay=15, count=1)
    proc = _start_playbook(gitlab, {'test_job_id': build['id'], 'test_artifacts_dest': str(dest)})
    try:
        deadline = time.monotonic() + 60
        while not temp_files(dest_dir) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
        left = temp_files(dest_dir)
        assert len(left) == 1, left
        module_pid = int(left[0].split('.cicd-gitlab-')[1].split('-')[0])
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        if _alive(module_pid):   # the module process outlived its playbook: kill it by its id
            os.kill(module_pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while _alive(module_pid) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    assert temp_files(dest_dir) == left and not dest.exists()
    result = ok(gitlab, {'test_job_id': build['id'], 'test_artifacts_dest': str(dest)})
    assert result['status'] == 'changed' and dest.exists()
    assert temp_files(dest_dir) == []
    assert any(left[0] in action for action in result['result']['actions'])


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open('/proc/%d/stat' % pid, encoding='utf-8') as handle:
            return handle.read().split(') ', 1)[1][0] != 'Z'
    except OSError:
        return True


# ---- a real full disk and a real read-only directory (small tmpfs mounts; needs root) -------------------------


@pytest.fixture
def mounted(tmp_path):
    """``mount(options)`` -> a fresh tmpfs directory mounted with ``options``; unmounted after the test."""
    points = []

    def mount(options):
        point = tmp_path / ('mnt%d' % len(points))
        point.mkdir()
        if os.geteuid() != 0:
            pytest.skip('mounting a tmpfs needs root')
        proc = subprocess.run(['mount', '-t', 'tmpfs', '-o', options, 'tmpfs', str(point)], capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            pytest.skip('cannot mount a tmpfs here: %s' % proc.stderr.strip())
        points.append(point)
        return point
    yield mount
    for point in points:
        subprocess.run(['umount', str(point)], check=False)


def test_a_full_disk_fails_clearly_and_leaves_nothing(gitlab, mounted):
    build = build_job(gitlab)
    small = mounted('size=16k,mode=0755')
    dest = small / 'svc.zip'
    dest.write_bytes(b'previous')
    failure = failed(gitlab, {'test_job_id': build['id'], 'test_artifacts_dest': str(dest), 'test_force': True})
    assert 'No space left on device' in failure['msg'], failure['msg']
    assert dest.read_bytes() == b'previous'
    assert sorted(os.listdir(str(small))) == ['svc.zip']


def test_a_read_only_directory_is_refused_before_any_request(gitlab, mounted):
    read_only = mounted('ro,size=16k')
    gitlab.clear_journal()
    failure = failed(gitlab, {'test_job_id': 1, 'test_artifacts_dest': str(read_only / 'svc.zip')})
    assert 'artifacts_dest: the directory %s is not writable' % read_only in failure['msg'], failure['msg']
    assert gitlab.journal() == []
