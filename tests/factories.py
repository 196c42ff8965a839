"""Factories for the domain. Every org-owned factory takes `organization`; related rows share it."""

import factory
from django.contrib.auth import get_user_model

from accounts.models import Membership, Organization, Role, Team
from customers.models import Customer
from journeys.models import Channel, Journey, Persona, Stage, Touchpoint


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Org {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "password")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Team {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.CX_MANAGER


class PersonaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Persona

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Persona {n}")


class JourneyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Journey

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Journey {n}")


class StageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Stage

    journey = factory.SubFactory(JourneyFactory)
    organization = factory.SelfAttribute("journey.organization")
    name = factory.Sequence(lambda n: f"Stage {n}")
    position = factory.Sequence(lambda n: n)


class TouchpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Touchpoint

    stage = factory.SubFactory(StageFactory)
    journey = factory.SelfAttribute("stage.journey")
    organization = factory.SelfAttribute("stage.organization")
    name = factory.Sequence(lambda n: f"Touchpoint {n}")
    channel = Channel.WEB
    position = factory.Sequence(lambda n: n)


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    organization = factory.SubFactory(OrganizationFactory)
    external_id = factory.Sequence(lambda n: f"C{n:06d}")
    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    language = "sv"
    may_survey = True
    may_contact = True


# --- surveys (added by the KPI engine helper; other helpers may use them) ---------------------------------------


def _now():
    from django.utils import timezone

    return timezone.now()


def _local_date(moment):
    from django.utils import timezone

    return timezone.localdate(moment)


class SurveyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "surveys.Survey"

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Survey {n}")
    kind = "touchpoint"
    status = "published"


class SurveyVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "surveys.SurveyVersion"

    survey = factory.SubFactory(SurveyFactory)
    organization = factory.SelfAttribute("survey.organization")
    number = factory.Sequence(lambda n: n + 1)


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "surveys.Question"

    version = factory.SubFactory(SurveyVersionFactory)
    organization = factory.SelfAttribute("version.organization")
    code = "nps"
    kind = "nps"
    text = factory.LazyFunction(lambda: {"en": "How likely are you to recommend us?"})
    scale_min = 0
    scale_max = 10


class ResponseFactory(factory.django.DjangoModelFactory):
    """A response of `version` (its survey and organization follow); pass `touchpoint` or `journey`."""

    class Meta:
        model = "surveys.Response"

    version = factory.SubFactory(SurveyVersionFactory)
    survey = factory.SelfAttribute("version.survey")
    organization = factory.SelfAttribute("version.organization")
    submitted_at = factory.LazyFunction(_now)
    source = "web"


class AnswerFactory(factory.django.DjangoModelFactory):
    """An answer; touchpoint and submitted_on are denormalised from the response, metric from the question kind."""

    class Meta:
        model = "surveys.Answer"

    response = factory.SubFactory(ResponseFactory)
    organization = factory.SelfAttribute("response.organization")
    question = factory.SubFactory(QuestionFactory, version=factory.SelfAttribute("..response.version"))
    touchpoint = factory.SelfAttribute("response.touchpoint")
    submitted_on = factory.LazyAttribute(lambda a: _local_date(a.response.submitted_at))
    metric = factory.LazyAttribute(lambda a: a.question.kind if a.question.kind in ("nps", "csat", "ces") else "")
    value = 9
