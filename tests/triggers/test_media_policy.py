"""The media URL policy: what an import may fetch. The URL can come from Salesforce, so it is untrusted.

The HTTP tests use a real server on a loopback socket (a thread of this process); the refused private and link-local
addresses are refused before any packet is sent.
"""

import pytest

from storefront.media import import_media
from storefront.media_urls import refused_address
from storefront.models import MediaImport
from syncerrors.models import SyncError
from tests.factories import ProductFactory
from tests.triggers.media_server import PNG

pytestmark = pytest.mark.django_db


def imported(org, url):
    """Import `url` as a product's media; returns (import, the MEDIA_IMPORT_FAILED message or None)."""
    product = ProductFactory(org=org, media_url=url)
    media_import = MediaImport.objects.get(product=product)
    import_media(media_import.pk)
    media_import.refresh_from_db()
    error = SyncError.objects.filter(status_code="MEDIA_IMPORT_FAILED", scid=product.scid).first()
    return media_import, error.message if error else None


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fc00::1", "private"),
        ("169.254.169.254", "private"),  # the cloud metadata address: link-local, and private to ipaddress
        ("fe80::1", "private"),
        ("100.64.0.1", "not public"),  # carrier-grade NAT
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "private"),  # reserved
        ("0.0.0.0", "private"),  # unspecified
        ("93.184.215.14", None),
        ("2606:4700::1111", None),
    ],
)
def test_media_policy_only_public_addresses(settings, address, reason):
    settings.SCSYNC_ALLOW_LOOPBACK = False

    assert refused_address(address) == reason


def test_media_policy_loopback_only_where_the_development_setting_allows_it(org, settings, tmp_path, media_server):
    settings.MEDIA_ROOT = tmp_path
    settings.SCSYNC_ALLOW_LOOPBACK = False
    refused, refused_message = imported(org, f"{media_server}/logo.png")
    by_name, by_name_message = imported(org, media_server.replace("127.0.0.1", "localhost") + "/logo.png")
    settings.SCSYNC_ALLOW_LOOPBACK = True
    allowed, _ = imported(org, f"{media_server}/logo.png")

    assert refused.status == by_name.status == "failed"
    assert "has a loopback address: media is only fetched from public hosts" in refused_message
    assert "localhost has a loopback address" in by_name_message
    assert allowed.status == "done"


def test_media_policy_private_and_link_local_hosts_are_refused(org, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    _, private = imported(org, "http://10.255.255.1/x.png")
    _, metadata = imported(org, "http://169.254.169.254/latest/meta-data/")

    assert "10.255.255.1 has a private address" in private
    assert "169.254.169.254 has a private address" in metadata


def test_media_policy_every_redirect_hop_is_checked(org, settings, tmp_path, media_server):
    settings.MEDIA_ROOT = tmp_path  # loopback is allowed (test settings): the first hop is fetched
    to_metadata, message = imported(org, f"{media_server}/redirect?to=http://169.254.169.254/latest/meta-data/")
    to_file, file_message = imported(org, f"{media_server}/redirect?to=file:///etc/passwd")
    to_image, _ = imported(org, f"{media_server}/redirect?to={media_server}/logo.png")

    assert to_metadata.status == "failed" and "169.254.169.254 has a private address" in message
    assert to_file.status == "failed" and "passwd" not in file_message.replace("file:///etc/passwd", "")
    assert to_image.status == "done"


def test_media_policy_bytes_are_counted_while_reading(org, settings, tmp_path, media_server):
    settings.MEDIA_ROOT, settings.SCSYNC_MEDIA_MAX_BYTES = tmp_path, 100_000

    endless, message = imported(org, f"{media_server}/endless.png")

    assert endless.status == "failed" and "larger than the limit of 100000 bytes" in message
    assert not list(tmp_path.rglob("*.png"))


def test_media_policy_file_and_data_urls_only_where_allowed(org, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    image = tmp_path / "logo.png"
    image.write_bytes(PNG)
    settings.SCSYNC_MEDIA_ALLOW_LOCAL_URLS = False
    file_refused, file_message = imported(org, f"file://{image}")
    data_refused, data_message = imported(org, "data:image/png;base64,AAAA")
    settings.SCSYNC_MEDIA_ALLOW_LOCAL_URLS = True
    file_allowed, _ = imported(org, f"file://{image}")

    assert file_refused.status == data_refused.status == "failed"
    assert "file: URLs are not allowed here (SCSYNC_MEDIA_ALLOW_LOCAL_URLS is off)" in file_message
    assert "data: URLs are not allowed here" in data_message
    assert file_allowed.status == "done"


def test_media_policy_messages_never_reveal_whether_a_local_file_exists(org, settings, tmp_path):
    settings.MEDIA_ROOT, settings.SCSYNC_MEDIA_ALLOW_LOCAL_URLS = tmp_path / "media", True
    (tmp_path / "a-directory.png").mkdir()
    _, missing = imported(org, f"file://{tmp_path}/missing.png")
    _, directory = imported(org, f"file://{tmp_path}/a-directory.png")

    reason = lambda message: message.split(" failed: ")[1]  # noqa: E731
    assert reason(missing) == reason(directory) == "the file could not be read. The CDN URL was kept."


def test_media_policy_an_os_error_storing_becomes_a_sync_error_without_local_detail(org, settings, tmp_path, caplog):
    not_a_directory = tmp_path / "media-is-a-file"
    not_a_directory.write_text("")
    settings.MEDIA_ROOT, settings.SCSYNC_MEDIA_ALLOW_LOCAL_URLS = not_a_directory, True

    media_import, message = imported(
        org,
        "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
    )

    assert media_import.status == "failed"
    assert "could not be read or stored on this server" in message
    assert str(tmp_path) not in message
    assert "reading or storing failed" in caplog.text  # the worker's log has the detail
