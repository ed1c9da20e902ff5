"""Exception types a user of keras_gen can cause, each with the fix in its message."""


class DataError(ValueError):
    """A dataset could not be found, read or matched to the model.

    Raised for unknown dataset names, missing or malformed files, offline
    downloads and images whose shape or channels do not fit. The message always
    says what was received and what to do instead.

    Example:

    ```python
    try:
        keras_gen.data.load("/no/such/folder")
    except keras_gen.DataError as error:
        print(error)
    ```
    """
