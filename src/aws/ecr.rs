//! ECR image lookups for `ecspress verify`.
//!
//! Why DescribeImages and not a registry manifest HEAD: it needs only `ecr:DescribeImages`
//! (no GetAuthorizationToken / docker login), tells a missing repository from a missing
//! image, and works against any account's registry the caller may read (`registryId`).
//! Images in other regions are looked up with a client for that region, because an ECR
//! registry is regional.

use super::{AwsError, AwsResult};

/// What DescribeImages found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageLookup {
    /// The tag or digest exists in the repository.
    Found,
    /// The repository exists but has no such tag/digest (`ImageNotFoundException`).
    ImageNotFound,
    /// No such repository in that registry (`RepositoryNotFoundException`).
    RepositoryNotFound,
}

/// One image in an ECR repository.
#[derive(Debug, Clone, Copy)]
pub struct EcrImage<'a> {
    /// Registry region (from the image host).
    pub region: &'a str,
    /// Registry id = account id (from the image host).
    pub registry_id: &'a str,
    /// Repository name.
    pub repository: &'a str,
    /// `imageTag` to look up (exactly one of tag/digest is set).
    pub tag: Option<&'a str>,
    /// `imageDigest` to look up.
    pub digest: Option<&'a str>,
}

/// ECR lookups.
#[async_trait::async_trait]
pub trait EcrApi: Send + Sync {
    /// DescribeImages for one image id.
    async fn describe_image(&self, image: EcrImage<'_>) -> AwsResult<ImageLookup>;
}

/// [`EcrApi`] over aws-sdk-ecr: a client per call for the image's region, from the shared
/// config (credentials, endpoint overrides and timeouts kept).
pub struct SdkEcr {
    cfg: aws_types::SdkConfig,
}

impl SdkEcr {
    /// Lookups with the shared config.
    pub fn new(cfg: &aws_types::SdkConfig) -> Self {
        SdkEcr { cfg: cfg.clone() }
    }
}

#[async_trait::async_trait]
impl EcrApi for SdkEcr {
    async fn describe_image(&self, image: EcrImage<'_>) -> AwsResult<ImageLookup> {
        let conf = aws_sdk_ecr::config::Builder::from(&self.cfg)
            .region(aws_types::region::Region::new(image.region.to_owned()))
            .build();
        let client = aws_sdk_ecr::Client::from_conf(conf);
        let id = aws_sdk_ecr::types::ImageIdentifier::builder()
            .set_image_tag(image.tag.map(str::to_owned))
            .set_image_digest(image.digest.map(str::to_owned))
            .build();
        let result = client
            .describe_images()
            .registry_id(image.registry_id)
            .repository_name(image.repository)
            .image_ids(id)
            .send()
            .await;
        match result {
            Ok(out) if out.image_details().is_empty() => Ok(ImageLookup::ImageNotFound),
            Ok(_) => Ok(ImageLookup::Found),
            Err(e) => {
                let err = AwsError::from_sdk("DescribeImages", image.repository, e);
                match err.code.as_deref() {
                    Some("ImageNotFoundException") => Ok(ImageLookup::ImageNotFound),
                    Some("RepositoryNotFoundException") => Ok(ImageLookup::RepositoryNotFound),
                    _ => Err(err),
                }
            }
        }
    }
}
