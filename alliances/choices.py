"""Enumerations used by the models, the API and the admin."""

from django.db import models


class MembershipStatus(models.TextChoices):
    MEMBER = "member", "Member"
    CANDIDATE = "candidate", "Candidate"
    PARTNER = "partner", "Partner"
    OBSERVER = "observer", "Observer"
    SUSPENDED = "suspended", "Suspended"
    APPLICANT = "applicant", "Applicant"
    ASSOCIATE = "associate", "Associate"


class OrganizationKind(models.TextChoices):
    MILITARY_ALLIANCE = "military_alliance", "Military alliance"
    POLITICAL_ECONOMIC_UNION = "political_economic_union", "Political and economic union"
    REGIONAL_SECURITY = "regional_security_organization", "Regional security organization"
    INFORMAL_FORMAT = "informal_regional_format", "Informal regional format"
    OTHER = "other", "Other"


class SourceKind(models.TextChoices):
    NEWS_ARTICLE = "news_article", "News article"
    OFFICIAL_PAGE = "official_page", "Official page"
    TREATY = "treaty", "Treaty"
    OFFICIAL_DOCUMENT = "official_document", "Official document"
    SECONDARY = "secondary", "Secondary source (copy or reference work)"


class SuccessionKind(models.TextChoices):
    CONTINUATION = "continuation", "Continuation (same state, holds the predecessor's seats)"
    DISSOLUTION = "dissolution", "Dissolution (the predecessor ceased to exist)"
    SECESSION = "secession", "Secession (the predecessor went on)"
    ABSORPTION = "absorption", "Absorption (the predecessor joined the successor)"
