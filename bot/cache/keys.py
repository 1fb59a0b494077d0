"""Cache keys: namespace, tenant, a fingerprint of the Venice key, endpoint and normalised query.

The Venice key itself never appears in a key: it is reduced to an HMAC-SHA256 fingerprint
under a secret of the deployment, so a reader of Redis can neither recover the key nor test a
guess without that secret. A new key for a workspace has a new fingerprint, so it can never
see the entries of the key it replaced.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import quote

from pydantic import SecretStr

from bot.venice.source import UsageQuery

DEFAULT_NAMESPACE = "venice-bot:cache"
SCHEMA = "v1"  # bump when the key layout or the entry encoding changes incompatibly
FINGERPRINT_HEX = 32  # 128 bits: no collision between keys in practice


def key_fingerprint(secret: bytes, key: SecretStr) -> str:
    """HMAC-SHA256 of the Venice key under SECRET, hex, truncated to 128 bits."""
    digest = hmac.new(secret, key.get_secret_value().strip().encode(), hashlib.sha256)
    return digest.hexdigest()[:FINGERPRINT_HEX]


def usage_query_text(query: UsageQuery) -> str:
    """`lookback=30d` or `endDate=2026-10-31&startDate=2026-10-01`: one text per distinct query."""
    return "&".join(f"{name}={value}" for name, value in sorted(query.params().items()))


@dataclass(frozen=True, slots=True)
class EntryKeys:
    """The Redis keys of one cached answer: the entry, its fetch lock and its failure note."""

    entry: str

    @property
    def lock(self) -> str:
        return self.entry + ":lock"

    @property
    def failure(self) -> str:
        return self.entry + ":failed"


@dataclass(frozen=True, slots=True)
class TenantKeys:
    """Keys for one tenant's Venice key. Built once per source; holds only the fingerprint."""

    prefix: str

    @classmethod
    def build(cls, namespace: str, tenant: str, secret: bytes, key: SecretStr) -> TenantKeys:
        """Keys under NAMESPACE for TENANT (e.g. `slack:T123`) and the fingerprint of KEY."""
        # Quoting keeps a tenant id from ever reading as more than one key segment.
        tenant_part = quote(tenant, safe="")
        return cls(f"{namespace}:{SCHEMA}:{tenant_part}:{key_fingerprint(secret, key)}")

    def balance(self) -> EntryKeys:
        """The keys of this tenant's balance."""
        return EntryKeys(f"{self.prefix}:balance")

    def api_keys(self) -> EntryKeys:
        """The keys of this tenant's list of API keys (`GET /api_keys`)."""
        return EntryKeys(f"{self.prefix}:api-keys")

    def usage(self, query: UsageQuery) -> EntryKeys:
        """The keys of this tenant's usage analytics over QUERY's period."""
        return EntryKeys(f"{self.prefix}:usage:{usage_query_text(query)}")
