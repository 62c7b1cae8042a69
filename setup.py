"""Only the loader's optional C fast path is built here; everything else is in pyproject.toml.

`optional=True`: without a C compiler or OpenSSL's headers the install still succeeds and the
loader takes its general (pure Python + SQL) way for every file, with the same results, slower.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "crvs.feeds._fastload",
            ["crvs/feeds/_fastload.c"],
            libraries=["crypto"],
            extra_compile_args=["-O2", "-Wall"],
            optional=True,
        )
    ]
)
