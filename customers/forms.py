from django import forms
from django.utils.translation import gettext as _

from accounts.scoping import OrgContext
from core.forms import BootstrapFormMixin
from customers import selectors
from customers.models import Customer
from customers.validation import normalize_country, normalize_phone


class CustomerForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = Customer
        fields = [
            "external_id",
            "name",
            "email",
            "phone",
            "language",
            "country",
            "segment",
            "persona",
            "may_survey",
            "may_contact",
        ]

    def __init__(self, *args, ctx: OrgContext, **kwargs):
        super().__init__(*args, **kwargs)
        self.ctx = ctx
        self.fields["persona"].queryset = selectors.persona_choices(ctx=ctx)
        # Offer the segments already in use, so the same segment is not typed three ways.
        self.fields["segment"].widget.attrs["list"] = "segment-options"
        self.segment_options = selectors.customer_segment_list(ctx=ctx)

    def clean_external_id(self) -> str:
        external_id = self.cleaned_data["external_id"].strip()
        if selectors.customer_external_id_taken(ctx=self.ctx, external_id=external_id, exclude_pk=self.instance.pk):
            raise forms.ValidationError(_("Another customer already has this external id."))
        return external_id

    def clean_phone(self) -> str:
        try:
            return normalize_phone(self.cleaned_data["phone"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc))

    def clean_country(self) -> str:
        try:
            return normalize_country(self.cleaned_data["country"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc))
