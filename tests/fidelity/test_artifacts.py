"""Job artifacts: https://docs.gitlab.com/api/job_artifacts/, lib/api/ci/job_artifacts.rb.

Seeds/default.yml: acme/svc's build makes dist/svc.bin (64 KiB, generated) and dist/VERSION
("2.0.0\\n"), expiring an hour after the job; its test job fails when the pipeline has FAIL_TEST.
"""

import hashlib
import http.client
import io
import json
import tracemalloc
import zipfile

import gitlab
import pytest
import requests

from tests.fake_gitlab import ci
from tests.fake_gitlab.archive import Archive
from tests.fidelity.cihelpers import APP, SVC, ci_seed, drive, driven, jobs_of, new_pipeline, statuses
from tests.fidelity.helpers import DEV, GUEST, MAINT, REPORTER, ROOT, TIMEOUT

DONE = 10
NOT_FOUND = {'message': '404 Not Found'}
RECORD_NOT_FOUND = {'message': '404 Not found'}
FORBIDDEN = {'message': '403 Forbidden'}
DISPOSITION = 'attachment; filename="artifacts.zip"; filename*=UTF-8\'\'artifacts.zip'
SVC_ENTRIES = [{'path': 'dist/svc.bin', 'size': 65536}, {'path': 'dist/VERSION', 'content': '2.0.0\n'}]


@pytest.fixture
def clock(fake):
    return drive(fake)


@pytest.fixture
def build(api, clock):
    """A finished acme/svc build job (by dev), as the API shows it."""
    pipeline = new_pipeline(api(DEV))
    clock.advance(DONE)
    return jobs_of(api(DEV), pipeline)['build']


def expect(response, status, body):
    assert (response.status_code, response.json()) == (status, body)


def artifacts_path(job, project=SVC):
    return '%s/jobs/%d/artifacts' % (project, job['id'])


def raw_get(fake, path, token=DEV):
    """GET a path exactly as written: requests and urllib3 would resolve ``..`` segments first."""
    connection = http.client.HTTPConnection(fake.url.split('//')[1], timeout=TIMEOUT)
    try:
        connection.request('GET', '/api/v4' + path, headers={'PRIVATE-TOKEN': token})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def settings(fake, **values):
    response = requests.post(fake.url + '/-/fake/settings', json=values, timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    return response.json()


# ---- the archive -----------------------------------------------------------------------------------------


def test_archive_download(api, build):
    response = api(DEV).get(artifacts_path(build))
    assert response.status_code == 200
    assert response.headers['Content-Type'] == 'application/octet-stream'
    assert response.headers['Content-Transfer-Encoding'] == 'binary'
    assert response.headers['Content-Disposition'] == DISPOSITION
    assert int(response.headers['Content-Length']) == len(response.content) == build['artifacts_file']['size']
    assert response.content == b''.join(Archive(SVC_ENTRIES).iter_chunks())
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert archive.testzip() is None
        assert [(i.filename, i.file_size) for i in archive.infolist()] == [('dist/svc.bin', 65536), ('dist/VERSION', 6)]
        assert archive.read('dist/VERSION') == b'2.0.0\n'
    head = api(DEV).request('HEAD', artifacts_path(build))
    assert (head.status_code, head.headers['Content-Length'], head.content) == (200, response.headers['Content-Length'], b'')
    assert api(REPORTER).get(artifacts_path(build)).status_code == 200
    expect(api(GUEST).get(artifacts_path(build)), 403, FORBIDDEN)
    expect(api(None).get(artifacts_path(build)), 404, {'message': '404 Project Not Found'})
    expect(api(DEV).get(SVC + '/jobs/999/artifacts'), 404, RECORD_NOT_FOUND)


def test_no_archive_is_404(api, clock):
    dev = api(DEV)
    pipeline = new_pipeline(dev)
    clock.advance(0.2)
    jobs = jobs_of(dev, pipeline)
    expect(dev.get(artifacts_path(jobs['build'])), 404, NOT_FOUND)        # still running: nothing uploaded yet
    clock.advance(DONE)
    expect(dev.get(artifacts_path(jobs['test'])), 404, NOT_FOUND)         # the job makes none
    erased = dev.post('%s/jobs/%d/erase' % (SVC, jobs['build']['id']))
    assert erased.status_code == 201
    expect(dev.get(artifacts_path(jobs['build'])), 404, NOT_FOUND)        # erased
    expect(dev.get(artifacts_path(jobs['build']) + '/dist/VERSION'), 404, NOT_FOUND)


# ---- expiry (lib/api/ci/job_artifacts.rb, app/models/ci/build.rb) ---------------------------------------


def expire_build_artifacts(fake):
    """Run GitLab's expiry clean-up once (the fake's stand-in for its cron worker)."""
    response = requests.post(fake.url + '/-/fake/workers/expire_build_artifacts', timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    return response.json()['destroyed']


def downloads(dev, job, ref='main'):
    """Status codes of: archive by job id, one file by job id, archive by ref, one file by ref."""
    return (dev.get(artifacts_path(job)).status_code,
            dev.get(artifacts_path(job) + '/dist/VERSION').status_code,
            dev.get(SVC + '/jobs/artifacts/%s/download' % ref, params={'job': 'build'}).status_code,
            dev.get(SVC + '/jobs/artifacts/%s/raw/dist/VERSION' % ref, params={'job': 'build'}).status_code)


def test_expired_artifacts_of_the_latest_pipeline_stay_downloadable(fake, api, clock, build):
    """The only pipeline of main is locked: its expired archive stays, but leaves the job JSON."""
    dev = api(DEV)
    clock.advance(3600)
    job = dev.get(SVC + '/jobs/%d' % build['id']).json()
    assert 'artifacts_file' not in job                                    # artifacts? is false once expired
    assert [a['file_type'] for a in job['artifacts']] == ['archive', 'metadata', 'trace']   # job_artifacts stay
    assert job['artifacts_expire_at'] == build['artifacts_expire_at']
    assert downloads(dev, build) == (200, 200, 200, 200)                  # available_artifacts?: locked
    assert dev.get(artifacts_path(build)).content == b''.join(Archive(SVC_ENTRIES).iter_chunks())
    expect(dev.post(artifacts_path(build) + '/keep'), 404, NOT_FOUND)    # keep needs artifacts?
    assert expire_build_artifacts(fake) == []                             # locked: never cleaned up
    assert downloads(dev, build) == (200, 200, 200, 200)


def test_expired_artifacts_of_an_unlocked_pipeline_until_the_clean_up(fake, api, clock, build):
    """A newer successful pipeline on main unlocks the older one: only the single file by job id checks expiry."""
    dev = api(DEV)
    newer = new_pipeline(dev)
    clock.advance(DONE)
    assert statuses(dev, newer)['pipeline'] == 'success'
    clock.advance(3600 - 2 * DONE + 5)                                    # the first build expired, the second not
    assert downloads(dev, build) == (200, 404, 200, 200)
    expect(dev.get(artifacts_path(build) + '/dist/VERSION'), 404, NOT_FOUND)
    assert dev.get(artifacts_path(build)).content == b''.join(Archive(SVC_ENTRIES).iter_chunks())
    assert expire_build_artifacts(fake) == [build['id']]
    expect(dev.get(artifacts_path(build)), 404, NOT_FOUND)
    job = dev.get(SVC + '/jobs/%d' % build['id']).json()
    assert 'artifacts_file' not in job and [a['file_type'] for a in job['artifacts']] == ['trace']
    newest = jobs_of(dev, newer)['build']
    assert downloads(dev, newest) == (200, 200, 200, 200)                 # by ref: the newer pipeline's


def test_without_keep_latest_artifact_nothing_is_locked(make_fake):
    fake, clock, root = driven(make_fake, ci_seed([{'name': 'build', 'artifacts': [{'path': 'dist/VERSION', 'content': '1\n'}],
                                                    'artifacts_expire_in': 60}], keep_latest_artifact=False))
    project = '/projects/g%2Fp'
    pipeline = new_pipeline(root, project)
    clock.advance(DONE)
    job = jobs_of(root, pipeline, project)['build']
    clock.advance(60)
    path = artifacts_path(job, project)
    assert (root.get(path).status_code, root.get(path + '/dist/VERSION').status_code) == (200, 404)
    by_ref = project + '/jobs/artifacts/main/download'
    assert root.get(by_ref, params={'job': 'build'}).status_code == 200  # no expiry filter by ref
    assert expire_build_artifacts(fake) == [job['id']]
    expect(root.get(path), 404, NOT_FOUND)
    expect(root.get(by_ref, params={'job': 'build'}), 404, RECORD_NOT_FOUND)


def test_a_failed_job_uploads_nothing(make_fake):
    _fake, clock, root = driven(make_fake, ci_seed([{'name': 'build', 'result': 'failed', 'artifacts': [{'path': 'a', 'content': 'x'}]}]))
    pipeline = new_pipeline(root, '/projects/g%2Fp')
    clock.advance(DONE)
    job = jobs_of(root, pipeline, '/projects/g%2Fp')['build']
    assert 'artifacts_file' not in job and job['artifacts_expire_at'] is None
    expect(root.get(artifacts_path(job, '/projects/g%2Fp')), 404, NOT_FOUND)


# ---- keep and delete ------------------------------------------------------------------------------------


def test_keep(api, clock, build):
    kept = api(DEV).post(artifacts_path(build) + '/keep')
    assert (kept.status_code, kept.json()['artifacts_expire_at'], kept.json()['id']) == (200, None, build['id'])
    assert build['artifacts_expire_at'] is not None
    clock.advance(2 * 3600)
    assert api(DEV).get(artifacts_path(build)).status_code == 200
    test = jobs_of(api(DEV), {'id': build['pipeline']['id']})['test']
    expect(api(DEV).post(artifacts_path(test) + '/keep'), 404, NOT_FOUND)
    expect(api(REPORTER).post(artifacts_path(build) + '/keep'), 403, FORBIDDEN)


def test_delete_job_artifacts_keeps_the_log(api, build):
    expect(api(DEV).delete(artifacts_path(build)), 403, FORBIDDEN)       # dev is a Developer of acme/svc
    deleted = api(MAINT).delete(artifacts_path(build))
    assert (deleted.status_code, deleted.content) == (204, b'')
    expect(api(DEV).get(artifacts_path(build)), 404, NOT_FOUND)
    job = api(DEV).get(SVC + '/jobs/%d' % build['id']).json()
    assert [a['file_type'] for a in job['artifacts']] == ['trace'] and job['artifacts_expire_at'] is None
    assert api(DEV).get(SVC + '/jobs/%d/trace' % build['id']).content == b'compiling svc\nbuild ok\n'


def test_delete_project_artifacts(api, build):
    expect(api(MAINT).delete(SVC + '/artifacts'), 202, {'message': '202 Accepted'})
    expect(api(DEV).get(artifacts_path(build)), 404, NOT_FOUND)


# ---- by ref ---------------------------------------------------------------------------------------------


def test_by_ref_uses_the_latest_successful_pipeline(api, clock):
    dev = api(DEV)
    older = new_pipeline(dev)
    clock.advance(DONE)
    newer = new_pipeline(dev, variables=[{'key': 'FAIL_TEST', 'value': '1'}])
    clock.advance(DONE)
    running = new_pipeline(dev)
    assert statuses(dev, newer) == {'build': 'success', 'test': 'failed', 'deploy': 'skipped', 'pipeline': 'failed'}
    assert jobs_of(dev, newer)['build']['artifacts_file']     # it has artifacts, but its pipeline failed
    response = dev.get(SVC + '/jobs/artifacts/main/download', params={'job': 'build'})
    assert (response.status_code, response.headers['Content-Disposition']) == (200, DISPOSITION)
    assert response.content == b''.join(Archive(SVC_ENTRIES).iter_chunks())
    raw = dev.get(SVC + '/jobs/artifacts/main/raw/dist/VERSION', params={'job': 'build'})
    assert (raw.status_code, raw.content, raw.headers['Content-Type']) == (200, b'2.0.0\n', 'text/plain; charset=utf-8')
    # Proof of which job answered: without the older pipeline's archive there is no fallback.
    assert dev.post('%s/jobs/%d/erase' % (SVC, jobs_of(dev, older)['build']['id'])).status_code == 201
    expect(dev.get(SVC + '/jobs/artifacts/main/download', params={'job': 'build'}), 404, RECORD_NOT_FOUND)
    clock.advance(DONE)                                           # now the newest pipeline has passed
    assert statuses(dev, running)['pipeline'] == 'success'
    assert dev.get(SVC + '/jobs/artifacts/main/download', params={'job': 'build'}).status_code == 200


@pytest.mark.usefixtures('build')
def test_by_ref_errors(api):
    dev = api(DEV)
    base = SVC + '/jobs/artifacts/main/download'
    expect(dev.get(base), 400, {'error': 'job is missing'})
    expect(dev.get(base, params={'job': 'test'}), 404, RECORD_NOT_FOUND)            # no archive
    expect(dev.get(base, params={'job': 'nope'}), 404, RECORD_NOT_FOUND)
    expect(dev.get(SVC + '/jobs/artifacts/feature%2Fx/download', params={'job': 'build'}), 404, RECORD_NOT_FOUND)
    expect(dev.get(APP + '/jobs/artifacts/main/download', params={'job': 'build'}), 404, RECORD_NOT_FOUND)
    expect(dev.get(SVC + '/jobs/artifacts/main/raw/dist/VERSION'), 400, {'error': 'job is missing'})
    expect(api(GUEST).get(base, params={'job': 'build'}), 403, FORBIDDEN)


def test_by_ref_with_a_slash_in_the_ref(api, clock):
    new_pipeline(api(DEV), ref='feature/x')
    clock.advance(DONE)
    for ref in ('feature%2Fx', 'feature/x'):
        assert api(DEV).get(SVC + '/jobs/artifacts/%s/download' % ref, params={'job': 'build'}).status_code == 200
        raw = api(DEV).get(SVC + '/jobs/artifacts/%s/raw/dist/VERSION' % ref, params={'job': 'build'})
        assert raw.content == b'2.0.0\n'


# ---- single files ----------------------------------------------------------------------------------------


def test_single_file_by_job(fake, api, build):
    response = api(DEV).get(artifacts_path(build) + '/dist/VERSION')
    assert (response.status_code, response.content) == (200, b'2.0.0\n')
    assert response.headers['Content-Type'] == 'application/octet-stream'
    assert response.headers['Content-Disposition'] == 'attachment; filename="VERSION"'
    big = api(DEV).get(artifacts_path(build) + '/dist/svc.bin')
    assert big.content == b''.join(Archive(SVC_ENTRIES).iter_entry('dist/svc.bin'))
    missing = api(DEV).get(artifacts_path(build) + '/dist/nope')
    assert (missing.status_code, missing.text) == (404, 'Not Found\n')
    for path in ('/dist/../etc/passwd', '/..', '/dist/%2E%2E/x', '/dist/a%00b'):
        status, body = raw_get(fake, artifacts_path(build) + path)
        assert (status, json.loads(body)) == (400, {'message': '400 Bad request'}), path


# ---- object storage redirects ---------------------------------------------------------------------------


def test_redirect_to_object_storage(fake, api, build):
    assert settings(fake, artifacts_redirect=True) == {'artifacts_redirect': True, 'time_scale': 1}
    dev = api(DEV)
    response = dev.get(artifacts_path(build), allow_redirects=False)
    assert response.status_code == 302
    location = response.headers['Location']
    assert location.startswith(fake.storage_url + '/bucket/') and 'X-Amz-Signature=' in location
    assert response.text == 'This resource has been moved temporarily to %s.' % location
    refused = requests.get(location, headers={'PRIVATE-TOKEN': DEV}, timeout=TIMEOUT)
    assert refused.status_code == 403 and '<Code>AccessDenied</Code>' in refused.text
    served = requests.get(location, timeout=TIMEOUT)
    assert served.status_code == 200 and served.headers['Content-Disposition'] == DISPOSITION
    assert served.content == b''.join(Archive(SVC_ENTRIES).iter_chunks())
    by_ref = dev.get(SVC + '/jobs/artifacts/main/download', params={'job': 'build'}, allow_redirects=False)
    assert by_ref.status_code == 302
    single = dev.get(artifacts_path(build) + '/dist/VERSION', allow_redirects=False)
    assert (single.status_code, single.content) == (200, b'2.0.0\n')            # Workhorse serves entries
    settings(fake, artifacts_redirect='all')
    single = dev.get(artifacts_path(build) + '/dist/VERSION', allow_redirects=False)
    assert single.status_code == 302
    assert requests.get(single.headers['Location'], timeout=TIMEOUT).content == b'2.0.0\n'
    assert [entry['auth_headers'] for entry in fake.storage_journal] == [['PRIVATE-TOKEN'], [], []]
    assert requests.post(fake.url + '/-/fake/reset', timeout=TIMEOUT).status_code == 204
    assert requests.get(fake.url + '/-/fake/settings', timeout=TIMEOUT).json()['artifacts_redirect'] is False


def test_redirect_from_the_seed_and_bad_settings(make_fake):
    seed = ci_seed([{'name': 'build', 'artifacts': [{'path': 'a.txt', 'content': 'hello\n'}]}])
    seed['artifacts_redirect'] = True
    fake, clock, root = driven(make_fake, seed)
    pipeline = new_pipeline(root, '/projects/g%2Fp')
    clock.advance(DONE)
    job = jobs_of(root, pipeline, '/projects/g%2Fp')['build']
    response = root.get(artifacts_path(job, '/projects/g%2Fp'), allow_redirects=False)
    assert response.status_code == 302
    with zipfile.ZipFile(io.BytesIO(requests.get(response.headers['Location'], timeout=TIMEOUT).content)) as archive:
        assert archive.read('a.txt') == b'hello\n'
    for body in ({'artifacts_redirect': 'yes'}, {'nope': 1}, {'time_scale': 0}, [1]):
        assert requests.post(fake.url + '/-/fake/settings', json=body, timeout=TIMEOUT).status_code == 400


# ---- size and memory -------------------------------------------------------------------------------------


def test_a_20_mib_archive_streams_with_flat_memory(make_fake, tmp_path):
    size = 20 * 1024 * 1024
    entries = [{'path': 'big.bin', 'size': size}, {'path': 'small.txt', 'content': 'ok\n'}]
    fake, clock, root = driven(make_fake, ci_seed([{'name': 'build', 'artifacts': entries}]))
    pipeline = new_pipeline(root, '/projects/g%2Fp')
    clock.advance(DONE)
    job = jobs_of(root, pipeline, '/projects/g%2Fp')['build']
    expected = hashlib.sha256()
    for chunk in Archive(entries).iter_chunks():
        expected.update(chunk)
    target = tmp_path / 'artifacts.zip'
    digest, total = hashlib.sha256(), 0
    tracemalloc.start()
    try:
        with requests.get(fake.url + '/api/v4' + artifacts_path(job, '/projects/g%2Fp'), headers={'PRIVATE-TOKEN': ROOT},
                          stream=True, timeout=TIMEOUT) as response, open(target, 'wb') as handle:
            assert response.headers['Content-Length'] == str(job['artifacts_file']['size'])
            for chunk in response.iter_content(256 * 1024):
                total += len(chunk)
                digest.update(chunk)
                handle.write(chunk)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == job['artifacts_file']['size'] > size
    assert digest.hexdigest() == expected.hexdigest()
    assert peak < 8 * 1024 * 1024, 'the server held %d bytes for a %d-byte download' % (peak, total)
    with zipfile.ZipFile(target) as archive:
        assert archive.getinfo('big.bin').file_size == size and archive.read('small.txt') == b'ok\n'


# ---- job tokens --------------------------------------------------------------------------------------------


def test_job_token_downloads(fake, api, clock, build):
    dev = api(DEV)
    current = new_pipeline(dev)
    clock.advance(0.2)
    token = ci.store(fake.state).jobs[jobs_of(dev, current)['build']['id']].token
    url = fake.url + '/api/v4' + artifacts_path(build)
    assert requests.get(url, headers={'JOB-TOKEN': token}, timeout=TIMEOUT).status_code == 200
    assert requests.get(url, params={'job_token': token}, timeout=TIMEOUT).status_code == 200
    by_ref = requests.get(fake.url + '/api/v4' + SVC + '/jobs/artifacts/main/raw/dist/VERSION', params={'job': 'build'},
                          headers={'JOB-TOKEN': token}, timeout=TIMEOUT)
    assert by_ref.content == b'2.0.0\n'
    other = new_pipeline(dev, APP)
    clock.advance(0.2)
    foreign = ci.store(fake.state).jobs[jobs_of(dev, other, APP)['build']['id']].token
    cross = requests.get(url, headers={'JOB-TOKEN': foreign}, timeout=TIMEOUT)
    # lib/api/helpers.rb: the job token scope refuses naming both projects' paths.
    assert (cross.status_code, cross.json()) == (403, {'message': '403 Forbidden - Authentication by CI/CD job token not allowed from app to svc.'})
    fake.state.find_project('acme/svc')[0].extra['ci_job_token_allowlist'] = ['acme/app']
    assert requests.get(url, headers={'JOB-TOKEN': foreign}, timeout=TIMEOUT).status_code == 200
    clock.advance(DONE)
    ended = requests.get(url, headers={'JOB-TOKEN': token}, timeout=TIMEOUT)
    assert (ended.status_code, ended.json()) == (401, {'message': '401 Unauthorized'})


# ---- python-gitlab -------------------------------------------------------------------------------------


def test_python_gitlab_downloads(fake, build, tmp_path):
    project = gitlab.Gitlab(fake.url, private_token=DEV).projects.get('acme/svc', lazy=True)
    job = project.jobs.get(build['id'])
    whole = job.artifacts()
    assert whole == b''.join(Archive(SVC_ENTRIES).iter_chunks())
    target = tmp_path / 'a.zip'
    with open(target, 'wb') as handle:
        job.artifacts(streamed=True, action=handle.write)
    assert target.read_bytes() == whole
    assert job.artifact('dist/VERSION') == b'2.0.0\n'
    assert project.artifacts.download(ref_name='main', job='build') == whole
    assert project.artifacts.raw('main', 'dist/VERSION', 'build') == b'2.0.0\n'
    with pytest.raises(gitlab.GitlabGetError) as info:
        project.artifacts.download(ref_name='feature/x', job='build')
    assert (info.value.response_code, info.value.error_message) == (404, '404 Not found')
