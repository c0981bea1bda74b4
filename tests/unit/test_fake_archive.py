"""Unit tests of the fake GitLab's streamed, seed-built job-artifact zip archives."""

import io
import shutil
import subprocess
import tracemalloc
import zipfile
import zlib

import pytest

from tests.fake_gitlab.archive import Archive

MIB = 1 << 20

ENTRY_SETS = {
    'mixed': [
        {'path': 'dist/app.bin', 'size': 3 * MIB + 12345},
        {'path': 'dist/VERSION', 'content': '1.0.0\n'},
    ],
    'empty-and-zero': [
        {'path': 'empty.txt', 'content': ''},
        {'path': 'empty.bin', 'content': b''},
        {'path': 'zero.bin', 'size': 0},
    ],
    'directories': [
        {'path': 'dist/'},
        {'path': 'dist/sub/', 'size': 0},
        {'path': 'dist/sub/file.txt', 'content': b'\x00\x01\xff'},
    ],
    'unicode': [
        {'path': 'résumé/日本語.txt', 'content': 'héllo wörld ✓\n'},
        {'path': 'données/😀.bin', 'size': 70001},
    ],
    'odd-sizes': [
        {'path': 'a', 'size': 1},
        {'path': 'b', 'size': MIB - 1},
        {'path': 'c', 'size': MIB + 1},
        {'path': 'd', 'content': b'x' * 200003},
    ],
}

SMALL = [{'path': 'small/é', 'size': 5000}, {'path': 'small/t', 'content': 'abc'}, {'path': 'small/0', 'content': ''}]
LARGE = ENTRY_SETS['odd-sizes'][:3] + ENTRY_SETS['unicode'] + ENTRY_SETS['empty-and-zero']


def _data(archive, chunk_size=MIB):
    return b''.join(archive.iter_chunks(chunk_size=chunk_size))


@pytest.fixture(name='entries', params=sorted(ENTRY_SETS), scope='module')
def _entries(request):
    return ENTRY_SETS[request.param]


@pytest.fixture(name='archive_data', scope='module')
def _archive_data(entries):
    archive = Archive(entries)
    return archive, _data(archive)


@pytest.mark.parametrize('entries, chunk_size', [(SMALL, 1), (SMALL, 7), (LARGE, 4096), (LARGE, 65536 + 3), (LARGE, MIB)])
def test_chunks_have_the_requested_size(entries, chunk_size):
    archive = Archive(entries)
    chunks = list(archive.iter_chunks(chunk_size=chunk_size))
    assert sum(len(chunk) for chunk in chunks) == archive.size
    assert all(len(chunk) == chunk_size for chunk in chunks[:-1])
    assert 0 < len(chunks[-1]) <= chunk_size
    assert all(isinstance(chunk, bytes) for chunk in chunks)
    assert b''.join(chunks) == _data(archive)


def test_size_and_paths(archive_data, entries):
    archive, data = archive_data
    assert len(data) == archive.size
    assert archive.paths == [entry['path'] for entry in entries]


def test_zipfile_reads_every_entry(archive_data, entries):
    archive, data = archive_data
    with zipfile.ZipFile(io.BytesIO(data)) as zipped:
        assert zipped.testzip() is None
        assert zipped.namelist() == archive.paths
        for entry in entries:
            info = zipped.getinfo(entry['path'])
            content = zipped.read(info)
            assert info.compress_type == zipfile.ZIP_STORED
            assert info.flag_bits & 0x0808 == 0x0808
            assert info.date_time == (2024, 1, 1, 0, 0, 0)
            assert info.CRC == zlib.crc32(content)
            assert info.is_dir() == entry['path'].endswith('/')
            assert len(content) == archive.entry_size(entry['path'])
            assert content == b''.join(archive.iter_entry(entry['path']))
            if 'content' in entry:
                expected = entry['content']
                assert content == (expected.encode('utf-8') if isinstance(expected, str) else expected)
            else:
                assert len(content) == entry.get('size', 0)


def test_unzip_command_accepts_archive(archive_data, tmp_path):
    if shutil.which('unzip') is None:
        pytest.skip('unzip is not installed')
    archive, data = archive_data
    path = tmp_path / 'artifacts.zip'
    path.write_bytes(data)
    result = subprocess.run(['unzip', '-t', str(path)], capture_output=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert b'No errors detected' in result.stdout
    assert result.stdout.count(b'OK') == len(archive.paths)


def test_layout_is_arithmetic_without_generating_data():
    # 3.5 GiB: would take seconds to generate; size must be instant and exact.
    archive = Archive([{'path': 'big.bin', 'size': 3584 * MIB}, {'path': 'x', 'content': 'y'}])
    name_bytes = len(b'big.bin') + len(b'x')
    assert archive.size == 2 * (30 + 16 + 46) + 22 + 2 * name_bytes + 3584 * MIB + 1
    assert archive.entry_size('big.bin') == 3584 * MIB
    assert archive.entry_size('x') == 1
    assert archive.entry_size('missing') is None


def test_empty_archive_is_valid():
    archive = Archive([])
    data = _data(archive)
    assert archive.size == len(data) == 22
    assert archive.paths == []
    with zipfile.ZipFile(io.BytesIO(data)) as zipped:
        assert not zipped.namelist()


def test_iter_entry_chunks_and_errors():
    archive = Archive([{'path': 'gen', 'size': 2 * MIB + 5}, {'path': 'lit', 'content': 'abcdefg'}, {'path': 'nil', 'size': 0}])
    chunks = list(archive.iter_entry('gen', chunk_size=MIB))
    assert [len(chunk) for chunk in chunks] == [MIB, MIB, 5]
    assert chunks[0] == chunks[1]      # the per-path block repeats
    assert list(archive.iter_entry('lit', chunk_size=3)) == [b'abc', b'def', b'g']
    assert not list(archive.iter_entry('nil'))
    with pytest.raises(KeyError):
        archive.iter_entry('missing')
    with pytest.raises(ValueError, match='chunk_size'):
        archive.iter_chunks(chunk_size=0)


def test_deterministic_bytes():
    entries = ENTRY_SETS['mixed'] + ENTRY_SETS['unicode']
    first, second = Archive(entries), Archive([dict(entry) for entry in entries])
    data = _data(first)
    assert data == _data(second)
    assert data == _data(first, chunk_size=65536)    # a second pass, other chunking: same bytes


def test_generated_bytes_depend_on_path():
    archive = Archive([{'path': 'one.bin', 'size': 4096}, {'path': 'two.bin', 'size': 4096}])
    one, two = b''.join(archive.iter_entry('one.bin')), b''.join(archive.iter_entry('two.bin'))
    assert one != two
    assert one == b''.join(Archive([{'path': 'one.bin', 'size': 4096}]).iter_entry('one.bin'))
    assert len(set(one)) > 200     # looks random, not a constant fill
    # A shorter entry at the same path is a prefix of a longer one.
    assert b''.join(Archive([{'path': 'one.bin', 'size': 100}]).iter_entry('one.bin')) == one[:100]


def test_streaming_memory_is_flat():
    archive = Archive([{'path': 'big/a.bin', 'size': 48 * MIB + 17}, {'path': 'big/b.bin', 'size': 16 * MIB}])
    tracemalloc.start()
    try:
        total = 0
        for chunk in archive.iter_chunks():
            total += len(chunk)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert total == archive.size
    assert peak < 8 * MIB, peak


@pytest.mark.parametrize('entries, message', [
    ([{'path': '/etc/passwd', 'content': 'x'}], 'must be relative'),
    ([{'path': 'C:\\temp\\x', 'content': 'x'}], 'must be relative'),
    ([{'path': 'a/../../b', 'content': 'x'}], r'must not contain "\.\." segments'),
    ([{'path': '..', 'size': 1}], r'must not contain "\.\." segments'),
    ([{'path': 'a', 'content': 'x', 'size': 1}], 'either "content" or "size", not both'),
    ([{'path': 'a'}], 'must have either "content" or "size"'),
    ([{'path': '', 'content': 'x'}], 'non-empty string'),
    ([{'content': 'x'}], 'non-empty string'),
    ([{'path': 'a', 'size': -1}], 'non-negative int'),
    ([{'path': 'a', 'size': '10'}], 'non-negative int'),
    ([{'path': 'a', 'content': 12}], 'must be str or bytes'),
    ([{'path': 'a', 'content': 'x', 'mode': 0o755}], 'unknown keys'),
    ([{'path': 'd/', 'content': 'x'}], 'cannot hold data'),
    ([{'path': 'a', 'size': 1}, {'path': 'a', 'content': ''}], 'more than once'),
    ([{'path': 'big', 'size': 4 << 30}], 'ZIP64'),
    ([{'path': 'big', 'size': (4 << 30) - 100}], 'ZIP64'),
    ([{'path': 'f%d' % index, 'size': 0} for index in range(0xffff)], 'ZIP64'),
])
def test_bad_input_is_refused(entries, message):
    with pytest.raises(ValueError, match=message):
        Archive(entries)
