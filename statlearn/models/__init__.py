"""Scalar pieces of a model, shared by the replica theories and the message-passing algorithms."""

from statlearn.models.activations import (
    ACTIVATIONS,
    Activation,
    GaussianEquivalence,
    gaussian_equivalence,
    get_activation,
)
from statlearn.models.channels import (
    CHANNELS,
    Channel,
    GaussianChannel,
    NoisySignChannel,
    ProbitChannel,
    ReluChannel,
    SignChannel,
    get_channel,
)
from statlearn.models.covariates import (
    BlockCovariates,
    CovariateModel,
    GivenSpectrum,
    RandomFeatures,
    Spectrum,
    marchenko_pastur_rule,
)
from statlearn.models.data import TeacherStudent, resolve_model, teacher_student
from statlearn.models.losses import LOSSES, Hinge, Logistic, Loss, Square, get_loss
from statlearn.models.priors import (
    PRIORS,
    DiscretePrior,
    GaussBernoulliPrior,
    GaussianPrior,
    Prior,
    RademacherPrior,
    get_prior,
)

__all__ = [
    "ACTIVATIONS",
    "Activation",
    "get_activation",
    "GaussianEquivalence",
    "gaussian_equivalence",
    "BlockCovariates",
    "CovariateModel",
    "GivenSpectrum",
    "RandomFeatures",
    "Spectrum",
    "marchenko_pastur_rule",
    "LOSSES",
    "Hinge",
    "Logistic",
    "Loss",
    "Square",
    "get_loss",
    "TeacherStudent",
    "resolve_model",
    "teacher_student",
    "PRIORS",
    "DiscretePrior",
    "GaussBernoulliPrior",
    "GaussianPrior",
    "Prior",
    "RademacherPrior",
    "get_prior",
    "CHANNELS",
    "Channel",
    "GaussianChannel",
    "NoisySignChannel",
    "ProbitChannel",
    "ReluChannel",
    "SignChannel",
    "get_channel",
]
