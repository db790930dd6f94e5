import pytest

from forktool import fetch
from forktool.errors import ForkError
from forktool.tree import build


def test_hash_mismatch_is_refused(repo, cache):
    (cache / "Fake-1.0.tar.gz").write_bytes(b"not the pinned archive")
    with pytest.raises(ForkError, match="sha256 mismatch"):
        fetch.fetch(repo.upstream())


def test_cached_hash_mismatch_names_the_cached_file(repo, cache):
    cached = cache / "Fake-1.0.tar.gz"
    cached.write_bytes(b"not the pinned archive")
    with pytest.raises(ForkError) as info:
        fetch.fetch(repo.upstream())
    message = str(info.value)
    assert f"the cached {cached} has {fetch.sha256_of(cached)}" in message
    assert f"delete {cached} and try again" in message


def test_downloaded_hash_mismatch_says_nothing_is_cached(repo, cache, monkeypatch):
    (cache / "Fake-1.0.tar.gz").unlink()
    downloads = []

    def bad_download(upstream, dest_dir):
        path = dest_dir / upstream.sdist
        path.write_bytes(b"a tampered mirror's archive")
        downloads.append(path)
        return path

    monkeypatch.setattr(fetch, "download", bad_download)
    with pytest.raises(ForkError, match="sha256 mismatch") as info:
        fetch.fetch(repo.upstream())
    message = str(info.value)
    assert "the Fake-1.0.tar.gz that pip just downloaded" in message
    assert "nothing was cached" in message
    # The download's temporary folder is gone: the message must not name it.
    assert str(downloads[0]) not in message and not downloads[0].exists()
    assert list(cache.iterdir()) == []


def test_hash_mismatch_leaves_no_tree(repo, cache, tmp_path):
    (cache / "Fake-1.0.tar.gz").write_bytes(b"tampered")
    with pytest.raises(ForkError, match="sha256 mismatch"):
        build(repo, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []


def test_corrupt_archive(repo, cache, tmp_path):
    path = cache / "Fake-1.0.tar.gz"
    path.write_bytes(b"\x1f\x8b garbage that is no gzip stream")
    upstream = repo.upstream()
    object.__setattr__(upstream, "sha256", fetch.sha256_of(path))
    with pytest.raises(ForkError, match="corrupt archive"):
        fetch.extract(fetch.fetch(upstream), tmp_path)


def test_download_failure_is_one_clear_line(repo, cache, monkeypatch):
    (cache / "Fake-1.0.tar.gz").unlink()
    # A closed local port: pip fails at once, as it would without a network.
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    monkeypatch.setenv("PIP_FIND_LINKS", "")
    monkeypatch.setenv("PIP_RETRIES", "0")
    with pytest.raises(ForkError, match="could not download Fake==1.0") as info:
        fetch.fetch(repo.upstream())
    assert "\n" not in str(info.value)
    assert list(cache.iterdir()) == []


def test_generated_sdist_files_are_left_out(repo, tmp_path):
    tree = build(repo, tmp_path / "out")
    assert not (tree / "PKG-INFO").exists()
    assert not (tree / "Fake.egg-info").exists()
    assert (tree / "django" / "core.py").exists()
