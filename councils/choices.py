"""Options for councils and people."""

from django.db import models


class CouncilType(models.TextChoices):
    COUNTY = "county", "County"
    DISTRICT = "district", "Non-metropolitan district"
    UNITARY = "unitary", "Unitary authority"
    METROPOLITAN = "metropolitan", "Metropolitan district"
    LONDON_BOROUGH = "london_borough", "London borough"
    CITY_OF_LONDON = "city_of_london", "City of London"


COUNCIL_TYPE_FROM_CSV = {
    "County": CouncilType.COUNTY,
    "Non-metropolitan district": CouncilType.DISTRICT,
    "Unitary authority": CouncilType.UNITARY,
    "Metropolitan district": CouncilType.METROPOLITAN,
    "London borough": CouncilType.LONDON_BOROUGH,
    "City corporation": CouncilType.CITY_OF_LONDON,
}


class Role(models.TextChoices):
    COUNCIL_MEMBER = "council_member", "Council member"
    ASSESSOR = "assessor", "Assessor"
    PROGRAMME_STAFF = "programme_staff", "Programme staff"
    ADMIN = "admin", "Administrator"
